/**
 * `save`: streams a planned export as a deterministic tar (sorted entries, mtime 0, uid/gid 0, fixed
 * modes), so the same images always give the same bytes; and a file variant that writes
 * `FILE.partial` and renames it only when complete (docs/reliability.md, C4, D4).
 */
import { open, rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { Writable } from 'node:stream';
import { commitPartial } from '../../../util/atomic.js';
import type { EventSink } from '../../events.js';
import { ensureFreeSpace, isNoSpace, noSpaceError } from '../store/space.js';
import type { Store } from '../store/store.js';
import { decompressByMagic } from '../../../image/layer/decompress-file.js';
import type { Decompressor } from '../../../image/layer/decompress-file.js';
import { planExport } from './export-plan.js';
import { writeExport, writeExportFile } from '../../../image/archive/write-export.js';
import type { ExportPlan } from '../../../image/archive/write-export.js';

/** Options of an export. */
export interface ExportOptions {
  onEvent?: EventSink | undefined;
  /** Opens compressed layer blobs; the layer applier's module plugs in here for zstd. */
  decompress?: Decompressor | undefined;
}

/** Streams the combined docker save + OCI layout archive of `refs` to `output`. */
export async function exportImages(
  store: Store,
  refs: readonly string[],
  output: Writable,
  options: ExportOptions = {},
): Promise<ExportPlan> {
  const plan = await planExport(store, refs, options.decompress ?? decompressByMagic);
  await writeExport(plan, output, progressEvents(options.onEvent));
  return plan;
}

/**
 * Writes the archive of `refs` into `file` as it is (created or truncated), leaving its fsync and
 * rename to the caller; the engine's `save` owns the partial file.
 */
export async function exportImagesInto(
  store: Store,
  refs: readonly string[],
  file: string,
  options: ExportOptions = {},
): Promise<ExportPlan> {
  const plan = await planExport(store, refs, options.decompress ?? decompressByMagic);
  await writeFileFromPlan(plan, file, options);
  return plan;
}

async function writeFileFromPlan(plan: ExportPlan, file: string, options: ExportOptions): Promise<void> {
  const output = await open(file, 'w', 0o644);
  try {
    await writeExportFile(plan, output.fd, progressEvents(options.onEvent));
  } finally {
    await output.close();
  }
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
    // Opened before the first byte is written: a destination that cannot be written fails here, and
    // from here on a crash leaves FILE.partial, never FILE.
    await writeFileFromPlan(plan, partial, options);
    await commitPartial(partial, file);
    return plan;
  } catch (error) {
    await rm(partial, { force: true });
    if (isNoSpace(error)) throw await noSpaceError(error, 'writing', file, archiveBytes);
    throw error;
  }
}

/** Reports the writer's progress as `transfer:progress` events of the archive. */
function progressEvents(onEvent: EventSink | undefined): (written: number, total: number) => void {
  return (current, total) =>
    onEvent?.({ type: 'transfer:progress', id: 'archive', phase: 'write', current, total });
}
