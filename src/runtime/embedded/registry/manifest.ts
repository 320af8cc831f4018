/**
 * Fetching one manifest or index by tag or digest: negotiated with the Accept header, read under the
 * 4 MiB cap, verified against the requested digest (or Docker-Content-Digest), kept as raw bytes and
 * parsed with zod. Schema 1 is refused with a sentence saying so.
 */
import { failpoint } from '../../../util/failpoint.js';
import { checkDigest, checkManifestReference, checkRepository, sha256Digest } from './digest.js';
import { digestMismatch, loginHint, registryError } from './errors.js';
import { MANIFEST_ACCEPT, bareMediaType, manifestKind } from '../../../image/oci/media-types.js';
import { MANIFEST_LIMIT, describeErrorBody, readCapped } from './read-body.js';
import { ImageIndexSchema, ImageManifestSchema } from '../../../image/oci/manifest-schemas.js';
import type { ImageIndex, ImageManifest } from '../../../image/oci/manifest-schemas.js';
import type { RegistrySession } from './session.js';

/** A manifest exactly as the registry sent it, with its digest and its parsed form. */
export type FetchedManifest = {
  digest: string;
  mediaType: string;
  /** The bytes the digest covers; store and push these, never a re-serialization. */
  raw: Uint8Array;
} & ({ kind: 'index'; parsed: ImageIndex } | { kind: 'manifest'; parsed: ImageManifest });

/** `repository:<name>:pull`, the scope of every read. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function parseJson(raw: Uint8Array, where: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw).toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw registryError(`the manifest of ${where} is not a JSON object`);
}

/** Reads and checks the manifest `reference` (tag or digest) of `repository`; `where` names it in messages. */
export async function fetchManifest(
  session: RegistrySession,
  repository: string,
  reference: string,
  where: string,
): Promise<FetchedManifest> {
  const path = `/v2/${checkRepository(repository)}/manifests/${checkManifestReference(reference)}`;
  const host = session.endpoint.credentialHost;
  const { response, url } = await session.request(path, [pullScope(repository)], {
    headers: { accept: MANIFEST_ACCEPT },
  });
  if (response.status === 404) {
    const detail = await describeErrorBody(response, url.host);
    const what = reference.includes(':') ? `no manifest ${reference}` : `no tag ${reference}`;
    throw registryError(
      `manifest unknown: ${what} in ${host}/${repository} (${detail})`,
      'check the name and tag',
    );
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => undefined);
    throw registryError(
      `unauthorized: ${host} refused access to ${repository}; run devenv login ${host}`,
      loginHint(host),
    );
  }
  if (response.status !== 200)
    throw registryError(`${host} answered ${await describeErrorBody(response, url.host)} for ${where}`);
  const raw = await readCapped(
    response,
    MANIFEST_LIMIT,
    `the manifest of ${where}`,
    url.host,
    session.idleTimeoutMs,
  );
  const digest = sha256Digest(raw);
  const expected = reference.includes(':') ? reference : response.headers.get('docker-content-digest');
  if (expected !== null && expected !== digest) throw digestMismatch(`manifest ${where}`, expected, digest);
  await failpoint('registry.manifest.after-fetch');
  const body = parseJson(raw, where);
  const declared = typeof body['mediaType'] === 'string' ? body['mediaType'] : undefined;
  const served = bareMediaType(response.headers.get('content-type'));
  let mediaType = manifestKind(served) !== undefined ? served : declared;
  if (mediaType === undefined && body['schemaVersion'] === 2)
    mediaType = Array.isArray(body['manifests'])
      ? 'application/vnd.oci.image.index.v1+json'
      : 'application/vnd.oci.image.manifest.v1+json';
  const kind = manifestKind(mediaType);
  if (kind === 'schema1' || body['schemaVersion'] === 1)
    throw registryError(
      `${where} is a Docker schema 1 image, which devenv does not support (deprecated since 2017)`,
      'push the image again with a current Docker or buildah, which writes schema 2 or OCI',
    );
  if (kind === undefined || mediaType === undefined)
    throw registryError(
      `${where} has media type ${String(mediaType ?? served)}, which is not an image manifest or index`,
    );
  if (declared !== undefined && manifestKind(declared) !== kind)
    throw registryError(`${where} was served as ${mediaType} but says it is ${declared}`);
  const schema = kind === 'index' ? ImageIndexSchema : ImageManifestSchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw registryError(
      `the ${kind} of ${where} is invalid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return kind === 'index'
    ? { kind, digest, mediaType, raw, parsed: parsed.data as ImageIndex }
    : { kind, digest, mediaType, raw, parsed: parsed.data as ImageManifest };
}

/**
 * What the registry says `reference` currently points at (HEAD, no body): its digest, media type and
 * size, or undefined when there is no such manifest. Unverified by nature, so use it only to decide
 * whether a local copy is current, never as content.
 */
export async function headManifest(
  session: RegistrySession,
  repository: string,
  reference: string,
): Promise<{ digest: string; mediaType: string | undefined; size: number | undefined } | undefined> {
  const path = `/v2/${checkRepository(repository)}/manifests/${checkManifestReference(reference)}`;
  const { response, url } = await session.request(path, [pullScope(repository)], {
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
  });
  await response.body?.cancel().catch(() => undefined);
  const host = session.endpoint.credentialHost;
  if (response.status === 404) return undefined;
  if (response.status === 401 || response.status === 403)
    throw registryError(
      `unauthorized: ${host} refused access to ${repository}; run devenv login ${host}`,
      loginHint(host),
    );
  if (response.status !== 200)
    throw registryError(`${host} answered HTTP ${response.status} for ${url.pathname}`);
  const digest = response.headers.get('docker-content-digest');
  if (digest === null) return undefined;
  const size = Number(response.headers.get('content-length') ?? Number.NaN);
  return {
    digest: checkDigest(digest, `the Docker-Content-Digest of ${repository}:${reference}`),
    mediaType: bareMediaType(response.headers.get('content-type')),
    size: Number.isSafeInteger(size) ? size : undefined,
  };
}
