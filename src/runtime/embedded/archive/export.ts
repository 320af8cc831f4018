/**
 * `save`: streams a planned export as a deterministic tar (sorted entries, mtime 0, uid/gid 0, fixed
 * modes), so the same images always give the same bytes; and a file variant that writes
 * `FILE.partial` and renames it only when complete (research/reliability.md C4, D4).
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { commitPartial } from '../../../util/atomic.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import type { EventSink } from '../../events.js';
import { ensureFreeSpace, isNoSpace, noSpaceError } from '../store/space.js';
import type { Store } from '../store/store.js';
import { decompressByMagic } from '../../../image/layer/decompress-file.js';
import type { Decompressor } from '../../../image/layer/decompress-file.js';
import { planExport } from './export-plan.js';
import type { ExportPlan } from './export-plan.js';
import { packEntry } from '../../../util/tar-pack.js';

declareFailpoints('archive.export.mid-write');

/** Options of an export. */
export interface ExportOptions {
  onEvent?: EventSink | undefined;
  /** Opens compressed layer blobs; the layer applier's module plugs in here for zstd. */
  decompress?: Decompressor | undefined;
}

const EPOCH = new Date(0);

/** Writes `plan` as a tar to `output`. */
export async function writeExport(
  plan: ExportPlan,
  output: Writable,
  onEvent: EventSink = () => undefined,
): Promise<void> {
  const pack = tar.pack();
  const piping = pipeline(pack, output);
  try {
    const dirs = new Set(
      plan.entries.flatMap((e) => (e.name.startsWith('blobs/') ? ['blobs/', 'blobs/sha256/'] : [])),
    );
    for (const dir of [...dirs].sort())
      packEntry(pack, { name: dir, type: 'directory', mode: 0o755, mtime: EPOCH, uid: 0, gid: 0 });
    let written = 0;
    for (const entry of plan.entries) {
      const sink = packEntry(pack, {
        name: entry.name,
        type: 'file',
        size: entry.size,
        mode: 0o644,
        mtime: EPOCH,
        uid: 0,
        gid: 0,
      });
      await pipeline(await entry.open(), sink);
      written += entry.size;
      onEvent({
        type: 'transfer:progress',
        id: 'archive',
        action: 'export',
        current: written,
        total: plan.bytes,
      });
      await failpoint('archive.export.mid-write');
    }
    pack.finalize();
    await piping;
  } catch (error) {
    pack.destroy(error as Error);
    await piping.catch(() => undefined);
    throw error;
  }
}

/** Streams the combined docker save + OCI layout archive of `refs` to `output`. */
export async function exportImages(
  store: Store,
  refs: readonly string[],
  output: Writable,
  options: ExportOptions = {},
): Promise<ExportPlan> {
  const plan = await planExport(store, refs, options.decompress ?? decompressByMagic);
  await writeExport(plan, output, options.onEvent);
  return plan;
}

/**
 * Writes the archive of `refs` to `file`: checks free space first (D6), writes `FILE.partial`,
 * fsyncs, renames. On any failure the partial file is removed and an existing `file` is untouched.
 */
export async function exportImagesToFile(
  store: Store,
  refs: readonly string[],
  file: string,
  options: ExportOptions = {},
): Promise<ExportPlan> {
  const plan = await planExport(store, refs, options.decompress ?? decompressByMagic);
  const partial = `${file}.partial`;
  const archiveBytes = plan.bytes + 512 * (plan.entries.length + 2) * 2 + 10_240;
  try {
    await ensureFreeSpace(path.dirname(path.resolve(file)), archiveBytes, `to write ${file}`);
    await writeExport(plan, createWriteStream(partial, { mode: 0o644 }), options.onEvent);
    await commitPartial(partial, file);
    return plan;
  } catch (error) {
    await rm(partial, { force: true });
    if (isNoSpace(error)) throw await noSpaceError(error, 'writing', file, archiveBytes);
    throw error;
  }
}
