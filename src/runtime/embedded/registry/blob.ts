/**
 * Downloading one blob as a stream of chunks that is checked while it flows: never more than
 * `descriptor.size` bytes, sha256 over everything, and a dropped connection resumed with
 * `Range: bytes=N-`. The generator ends normally only when size and digest both matched, so a consumer
 * must not treat the bytes as good before the loop finished.
 */
import { createHash } from '../../../util/crypto.js';
import { failpoint } from '../../../util/failpoint.js';
import { checkDigest, checkRepository } from './digest.js';
import { digestMismatch, loginHint, registryError } from './errors.js';
import { pullScope } from './manifest.js';
import { networkError } from './network-error.js';
import { bodyReader, describeErrorBody } from './read-body.js';
import type { Descriptor } from '../../../image/oci/manifest-schemas.js';
import type { RegistrySession } from './session.js';

/** Called after each chunk with the bytes received so far and the blob's size. */
export type ProgressCallback = (current: number, total: number) => void;

/** Options of one blob download. */
export interface BlobFetchOptions {
  onProgress?: ProgressCallback | undefined;
  /** Resumes allowed after dropped connections (default 3). */
  maxResumes?: number | undefined;
  /** Download layers that name foreign `urls` (from the registry, never from those URLs). Default false. */
  allowForeignLayers?: boolean | undefined;
}

function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/** Throws unless `descriptor` names a blob we may download; returns its checked digest. */
export function checkBlobDescriptor(
  descriptor: Descriptor,
  repository: string,
  allowForeign: boolean,
): string {
  const digest = checkDigest(descriptor.digest, `a blob of ${repository}`);
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0)
    throw registryError(`blob ${digest} has an invalid size`);
  if ((descriptor.urls?.length ?? 0) > 0 && !allowForeign) {
    const hosts = (descriptor.urls ?? []).map(urlHost).join(', ');
    throw registryError(
      `blob ${digest} of ${repository} is a foreign layer (served from ${hosts}); devenv does not download foreign layers`,
      'foreign layers are Windows base layers; use a Linux image',
    );
  }
  return digest;
}

/** Parses `bytes START-END/TOTAL` and returns START, or undefined. */
function rangeStart(header: string | null): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header ?? '');
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The blob's bytes, verified as described above; throws a DevenvError on any mismatch or failure. */
export async function* blobChunks(
  session: RegistrySession,
  repository: string,
  descriptor: Descriptor,
  options: BlobFetchOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const digest = checkBlobDescriptor(
    descriptor,
    checkRepository(repository),
    options.allowForeignLayers === true,
  );
  const host = session.endpoint.credentialHost;
  const size = descriptor.size;
  const hash = createHash('sha256');
  const tooLarge = () =>
    registryError(`blob ${digest} from ${host} is larger than its descriptor says (${size} bytes)`);
  const maxResumes = options.maxResumes ?? 3;
  let offset = 0;
  let resumes = 0;
  let halfway = false;
  for (;;) {
    const { response, url } = await session.request(
      `/v2/${repository}/blobs/${digest}`,
      [pullScope(repository)],
      {
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      },
    );
    let skip = 0;
    if (response.status === 200)
      skip = offset; // the server ignored Range: drop what we already have
    else if (
      response.status !== 206 ||
      offset === 0 ||
      rangeStart(response.headers.get('content-range')) !== offset
    ) {
      const detail = await describeErrorBody(response, url.host);
      if (response.status === 404)
        throw registryError(`blob unknown: ${digest} is not in ${host}/${repository} (${detail})`);
      if (response.status === 401 || response.status === 403)
        throw registryError(
          `unauthorized: ${host} refused blob ${digest} of ${repository}; run devenv login ${host}`,
          loginHint(host),
        );
      throw registryError(`${url.host} answered ${detail} for blob ${digest} at offset ${offset}`);
    }
    const announced = Number(response.headers.get('content-length') ?? Number.NaN);
    if (announced - skip > size - offset) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    const before = offset;
    const reader = bodyReader(response);
    let dropped: unknown; // only a failed read is a dropped connection worth resuming
    try {
      for (;;) {
        if (reader === undefined) break;
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          dropped = error;
          break;
        }
        if (next.done) break;
        let chunk = next.value;
        if (skip > 0) {
          const n = Math.min(skip, chunk.byteLength);
          chunk = chunk.subarray(n);
          skip -= n;
        }
        if (chunk.byteLength === 0) continue;
        if (offset + chunk.byteLength > size) throw tooLarge();
        hash.update(chunk);
        offset += chunk.byteLength;
        yield chunk;
        options.onProgress?.(offset, size);
        if (!halfway && offset * 2 >= size) {
          halfway = true;
          await failpoint('registry.blob.mid-stream');
        }
      }
    } finally {
      await reader?.cancel().catch(() => undefined);
    }
    if (dropped !== undefined) {
      if (resumes >= maxResumes) throw networkError(url.host, dropped, session.idleTimeoutMs);
      resumes++;
      continue;
    }
    if (offset === size) break;
    if (offset === before || resumes >= maxResumes)
      throw registryError(
        `blob ${digest} from ${host} is shorter than its descriptor says: got ${offset} of ${size} bytes`,
      );
    resumes++;
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== digest) throw digestMismatch(`blob ${digest}`, digest, got);
}
