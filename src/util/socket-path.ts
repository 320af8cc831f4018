/**
 * A Unix socket's path is limited to 107 bytes, which a socket deep in a store (a 64-character
 * container id under a home folder, say) exceeds. The socket is reached instead through a
 * descriptor of its folder: `/proc/self/fd/N/NAME` is short wherever the folder is.
 */
import { closeSync, openSync } from 'node:fs';
import path from './node-path.js';

/** A short path to `file`, valid until `close()`. */
export interface ShortSocketPath {
  path: string;
  close(): void;
}

/** Opens the folder of `file` and returns the short path through it. Linux only. */
export function shortSocketPath(file: string): ShortSocketPath {
  const fd = openSync(path.dirname(file), 'r');
  let open = true;
  return {
    path: `/proc/self/fd/${fd}/${path.basename(file)}`,
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
