/**
 * Extracts a volume tar into an empty folder with the image-layer extractor's defences (names and
 * links resolved inside the folder, nothing written through a symlink, hardlinks only to what the
 * archive itself made, no device nodes, byte, entry, depth and metadata caps), then restores the
 * extended attributes the archive carries as raw bytes. Unlike a layer, a volume has no whiteouts:
 * a `.wh.*` name is an ordinary file, as Docker's `docker cp` extracts it.
 */
import type { Readable } from 'node:stream';
import { layerLimits } from '../../../image/layer/layer-limits.js';
import type { LayerLimits } from '../../../image/layer/layer-limits.js';
import { readLayer } from '../../../image/squash/layer-read.js';
import { applyDeferredDirs } from '../layers/extract.js';
import { extractContext } from '../layers/extract-context.js';
import type { NoticeHandler } from '../layers/extract-context.js';
import { hostPath, resolveParentInRoot, tryLstat } from '../layers/resolve-in-root.js';
import { writeEntry } from '../layers/write-entry.js';
import { isVolumeXattr, setXattrs } from './set-xattrs.js';
import type { XattrWrite } from './set-xattrs.js';

/** Where to extract and how. */
export interface ExtractVolumeOptions {
  /** An empty folder, private to this extraction. */
  root: string;
  limits?: Partial<LayerLimits> | undefined;
  /** Apply the archive's owners; default only when running as root. */
  chown?: boolean | undefined;
  onNotice: NoticeHandler;
}

/** Writes every entry of the tar read from `input` under `options.root`; returns the entry count. */
export async function extractVolume(input: Readable, options: ExtractVolumeOptions): Promise<number> {
  const read = await readLayer(() => input, layerLimits(options.limits));
  const ctx = extractContext(options.root, options.chown ?? process.getuid?.() === 0, options.onNotice, true);
  const written: { rel: string; index: number }[] = [];
  let index = 0;
  for await (const entry of read.entries) {
    // The raw scanner carries the xattr values; the entry's own list only names them.
    await writeEntry(ctx, { ...entry, xattrs: [] });
    written.push({ rel: entry.rel, index: index++ });
  }
  applyDeferredDirs(ctx);
  const writes: XattrWrite[] = [];
  for (const { rel, index: at } of written) {
    for (const [name, value] of read.scanner.extras.get(at)?.xattrs ?? []) {
      if (!isVolumeXattr(name)) {
        options.onNotice(
          rel,
          `extended attribute ${name} not applied: only file capabilities and user.* are`,
        );
        continue;
      }
      // Resolved now, inside the tree: a later entry may have replaced a parent with a symlink.
      const file = hostPath(options.root, resolveParentInRoot(options.root, rel));
      if (tryLstat(file) !== undefined) writes.push({ rel, file, name, value });
    }
  }
  await setXattrs(writes, options.onNotice);
  return index;
}
