/**
 * Read size for files streamed whole (blobs, layer tars, bundles, volume tars). Node's 64 KiB
 * default costs sixteen reads, buffers and stream hand-offs per MiB; these files run to hundreds.
 */
export const FILE_READ_CHUNK = 1024 * 1024;
