/** Limits on archive input (docs/reliability.md, rule 8). */

/** Cap on manifest.json, index.json, configs and other archive JSON (containerd importer jsonLimit). */
export const MAX_JSON_BYTES = 20 * 1024 * 1024;
/** Cap on one image manifest (containerd resolver). */
export const MAX_MANIFEST_BYTES = 4 * 1048 * 1048;
/** Cap on the entries of one archive. */
export const MAX_ENTRIES = 100_000;
/** Cap on the length of an entry name. */
export const MAX_NAME_BYTES = 4096;
/** How deep indexes may nest (docs/image-formats.md#manifests-and-media-types). */
export const MAX_INDEX_DEPTH = 4;
/** How many symlinks one path may pass through (ELOOP). */
export const MAX_LINK_HOPS = 40;
