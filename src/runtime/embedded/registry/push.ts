/**
 * Pushing: blob existence (HEAD), uploads (POST, then one PUT with `?digest=`, or PATCH chunks and a
 * closing PUT), cross-repository mounts, and manifests PUT as raw bytes. Every byte we upload is
 * counted and hashed on the way out, so we never finish an upload whose content is not the digest.
 */
import { createHash } from '../../../util/crypto.js';
import { failpoint } from '../../../util/failpoint.js';
import { checkDigest, checkManifestReference, checkRepository, sha256Digest } from './digest.js';
import { digestMismatch, limitError, loginHint, registryError } from './errors.js';
import { MANIFEST_LIMIT, describeErrorBody } from './read-body.js';
import type { ProgressCallback } from './blob.js';
import type { Descriptor } from '../../../image/oci/manifest-schemas.js';
import type { RegistrySession } from './session.js';
import type { HttpResponse } from './transport.js';
import { discardBody } from './transport.js';

/** `repository:<name>:pull,push`, the scope of every write. */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/** Opens the blob's content from its start; called again if an upload must be replayed. */
export type OpenStream = () => AsyncIterable<Uint8Array>;

/** Options of one blob upload. */
export interface PushBlobOptions {
  onProgress?: ProgressCallback | undefined;
  /** Upload in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number | undefined;
  /** A repository on the same registry that already has the blob: ask for a mount first. */
  mountFrom?: string | undefined;
}

/** What {@link pushBlob} did. */
export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

async function expect(
  result: HttpResponse,
  ok: number[],
  what: string,
  session: RegistrySession,
): Promise<void> {
  const { response, url } = result;
  if (ok.includes(response.status)) return;
  const host = session.endpoint.credentialHost;
  const detail = await describeErrorBody(response, url.host);
  if (response.status === 401 || response.status === 403)
    throw registryError(
      `unauthorized: ${host} refused ${what} (${detail}); run devenv login ${host}`,
      loginHint(host),
    );
  throw registryError(`${host} refused ${what}: ${detail}`);
}

/** True when the registry has blob `digest` in `repository` (HEAD, no body read). */
export async function blobExists(
  session: RegistrySession,
  repository: string,
  digest: string,
  scopes: readonly string[],
): Promise<boolean> {
  const path = `/v2/${checkRepository(repository)}/blobs/${checkDigest(digest, `a blob of ${repository}`)}`;
  const result = await session.request(path, scopes, { method: 'HEAD' });
  await discardBody(result.response);
  if (result.response.status === 404) return false;
  await expect(result, [200], `to say whether it has blob ${digest}`, session);
  return true;
}

/** Yields `source` unchanged while checking it is exactly `size` bytes hashing to `digest`. */
async function* verified(
  source: AsyncIterable<Uint8Array>,
  digest: string,
  size: number,
  onProgress?: ProgressCallback,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let sent = 0;
  for await (const chunk of source) {
    sent += chunk.byteLength;
    if (sent > size)
      throw limitError(`blob ${digest} to push is larger than its descriptor says (${size} bytes)`);
    hash.update(chunk);
    yield chunk;
    onProgress?.(sent, size);
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (sent !== size)
    throw registryError(`blob ${digest} to push is ${sent} bytes, its descriptor says ${size}`);
  if (got !== digest) throw digestMismatch(`blob ${digest} to push`, digest, got);
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  // Appended by hand: re-serializing searchParams could re-encode the registry's opaque upload state.
  url.search = `${url.search === '' ? '?' : `${url.search}&`}digest=${encodeURIComponent(digest)}`;
  return url;
}

function nextLocation(result: HttpResponse, session: RegistrySession): URL {
  const location = result.response.headers.get('location');
  if (location === null)
    throw registryError(`${session.endpoint.credentialHost} started an upload without a Location`);
  return new URL(location, result.url);
}

/** Uploads a blob unless the registry already has it; see {@link PushBlobOptions}. */
export async function pushBlob(
  session: RegistrySession,
  repository: string,
  descriptor: Descriptor,
  openStream: OpenStream,
  options: PushBlobOptions = {},
): Promise<PushBlobResult> {
  const digest = checkDigest(descriptor.digest, `a blob to push to ${repository}`);
  const size = descriptor.size;
  const scopes = [pushScope(checkRepository(repository))];
  if (options.mountFrom !== undefined) scopes.push(`repository:${checkRepository(options.mountFrom)}:pull`);
  if (await blobExists(session, repository, digest, scopes)) return 'exists';
  const query =
    options.mountFrom === undefined
      ? ''
      : `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(options.mountFrom)}`;
  const started = await session.request(`/v2/${repository}/blobs/uploads/${query}`, scopes, {
    method: 'POST',
    headers: { 'content-length': '0' },
  });
  await expect(started, [201, 202], `an upload to ${repository}`, session);
  await discardBody(started.response);
  if (started.response.status === 201) return 'mounted';
  let location = nextLocation(started, session);
  const octets = { 'content-type': 'application/octet-stream' };
  if (options.chunkSize === undefined || size <= options.chunkSize) {
    const put = await session.request(withDigest(location, digest), scopes, {
      method: 'PUT',
      headers: { ...octets, 'content-length': String(size) },
      body: () => verified(openStream(), digest, size, options.onProgress),
    });
    await expect(put, [201], `blob ${digest} for ${repository}`, session);
    await discardBody(put.response);
    await failpoint('registry.push.after-blob');
    return 'uploaded';
  }
  const chunkSize = options.chunkSize;
  let offset = 0;
  const sendChunk = async (chunk: Uint8Array) => {
    const patch = await session.request(location, scopes, {
      method: 'PATCH',
      headers: {
        ...octets,
        'content-length': String(chunk.byteLength),
        'content-range': `${offset}-${offset + chunk.byteLength - 1}`,
      },
      body: () => chunk,
    });
    await expect(patch, [202], `a chunk of blob ${digest} for ${repository}`, session);
    await discardBody(patch.response);
    location = nextLocation(patch, session);
    offset += chunk.byteLength;
  };
  let buffered: Buffer = Buffer.alloc(0);
  for await (const piece of verified(openStream(), digest, size, options.onProgress)) {
    buffered = Buffer.concat([buffered, piece]);
    while (buffered.byteLength >= chunkSize) {
      await sendChunk(buffered.subarray(0, chunkSize));
      buffered = buffered.subarray(chunkSize);
    }
  }
  if (buffered.byteLength > 0) await sendChunk(buffered);
  const put = await session.request(withDigest(location, digest), scopes, {
    method: 'PUT',
    headers: { 'content-length': '0' },
  });
  await expect(put, [201], `blob ${digest} for ${repository}`, session);
  await discardBody(put.response);
  await failpoint('registry.push.after-blob');
  return 'uploaded';
}

/** PUTs `raw` as manifest `reference` (a tag or its own digest) of `repository`; returns its digest. */
export async function putManifest(
  session: RegistrySession,
  repository: string,
  reference: string,
  raw: Uint8Array,
  mediaType: string,
): Promise<string> {
  if (raw.byteLength > MANIFEST_LIMIT)
    throw limitError(`the manifest to push is larger than ${MANIFEST_LIMIT} bytes`);
  const digest = sha256Digest(raw);
  const ref = checkManifestReference(reference);
  if (ref.includes(':') && ref !== digest) throw digestMismatch('the manifest to push', ref, digest);
  await failpoint('registry.push.before-manifest');
  const result = await session.request(
    `/v2/${checkRepository(repository)}/manifests/${ref}`,
    [pushScope(repository)],
    {
      method: 'PUT',
      headers: { 'content-type': mediaType, 'content-length': String(raw.byteLength) },
      body: () => raw,
    },
  );
  await expect(result, [200, 201], `manifest ${reference} of ${repository}`, session);
  const echoed = result.response.headers.get('docker-content-digest');
  await discardBody(result.response);
  if (echoed !== null && echoed !== digest)
    throw digestMismatch(`manifest ${reference} pushed to ${repository}`, digest, echoed);
  return digest;
}
