/** Media types of the Docker schema2 and OCI image formats (runtime-spec 1.4), and the limits on archive input. */

/** Index / manifest list. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** Image manifest. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Image config. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/** Layers. */
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** True for an index or manifest list. */
export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/** True for an image manifest. */
export function isManifestType(mediaType: string | undefined): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/** True for an image config. */
export function isConfigType(mediaType: string | undefined): boolean {
  return mediaType === OCI_CONFIG || mediaType === DOCKER_CONFIG;
}

/**
 * True for a layer we can apply: OCI tar/gzip/zstd (also the non-distributable variants, which
 * travel inside archives) and Docker's gzip layer. Foreign (Windows) layers are refused.
 */
export function isLayerType(mediaType: string): boolean {
  return (
    /^application\/vnd\.oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(?:\+gzip|\+zstd)?$/.test(
      mediaType,
    ) || mediaType === DOCKER_LAYER_GZIP
  );
}

/** Cap on manifest.json, index.json, configs and other archive JSON (containerd importer jsonLimit). */
export const MAX_JSON_BYTES = 20 * 1024 * 1024;
/** Cap on one image manifest (containerd resolver). */
export const MAX_MANIFEST_BYTES = 4 * 1048 * 1048;
/** Cap on the entries of one archive. */
export const MAX_ENTRIES = 100_000;
/** Cap on the length of an entry name. */
export const MAX_NAME_BYTES = 4096;
/** How deep indexes may nest (runtime-spec 1.5). */
export const MAX_INDEX_DEPTH = 4;
/** How many symlinks one path may pass through (ELOOP). */
export const MAX_LINK_HOPS = 40;
