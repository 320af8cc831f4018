/** The media types of the OCI image spec and Docker's schema 2 (docs/image-formats.md#manifests-and-media-types), and what each one is. */

/** OCI image index (multi-platform). */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker manifest list (multi-platform). */
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** OCI image manifest. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** Docker image manifest, schema 2. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** OCI image config blob. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Docker image config blob. */
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/** Layers. */
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Docker schema 1 (refused). */
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
/** Signed Docker schema 1 (refused). */
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** The Accept header of every manifest request: indexes first, so multi-platform images come back whole. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

/** What a manifest media type describes; `undefined` for anything that is not a manifest we read. */
export function manifestKind(mediaType: string | undefined): 'index' | 'manifest' | 'schema1' | undefined {
  switch (mediaType) {
    case OCI_INDEX:
    case DOCKER_LIST:
      return 'index';
    case OCI_MANIFEST:
    case DOCKER_MANIFEST:
      return 'manifest';
    case DOCKER_SCHEMA1:
    case DOCKER_SCHEMA1_SIGNED:
      return 'schema1';
    default:
      return undefined;
  }
}

/** True for the config types of a runnable image (not a Helm chart or another artifact). */
export function isImageConfig(mediaType: string): boolean {
  return mediaType === OCI_CONFIG || mediaType === DOCKER_CONFIG;
}

/** The media type part of a Content-Type header, lowercased and without parameters. */
export function bareMediaType(contentType: string | null): string | undefined {
  if (contentType === null) return undefined;
  const bare = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return bare === '' ? undefined : bare;
}

const LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

/** True for the layer media types of a container image (plain, gzip or zstd tar; foreign included). */
export function isLayerType(mediaType: string): boolean {
  return LAYER_TYPES.has(mediaType);
}

/** True for an index or manifest list. */
export function isIndexType(mediaType: string | undefined): boolean {
  return manifestKind(mediaType) === 'index';
}

/** True for an image manifest. */
export function isManifestType(mediaType: string | undefined): boolean {
  return manifestKind(mediaType) === 'manifest';
}

/** True for Docker's foreign (Windows) layers, which devenv refuses. */
export function isForeignLayer(mediaType: string): boolean {
  return mediaType === 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
}
