/**
 * Writes a planned image archive (a `docker save` + OCI layout tar, or anything else listed as files)
 * as a deterministic tar: entries in the plan's order, mtime 0, uid/gid 0, fixed modes, so the same
 * plan always gives the same bytes. The embedded runtime's `save` and the Docker squash's
 * `docker load` input are both written here.
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { declareFailpoints, failpoint } from '../../util/failpoint.js';
import { packEntry } from '../../util/tar-pack.js';

declareFailpoints('archive.export.mid-write');

/** One file of the archive: its name, exact size and how to read it. */
export interface ExportEntry {
  name: string;
  size: number;
  open: () => Promise<Readable>;
}

/** Everything to write, sorted by name, and the images it contains. */
export interface ExportPlan {
  entries: ExportEntry[];
  images: { id: string; tags: string[] }[];
  /** Sum of the entry sizes (the archive is this plus headers). */
  bytes: number;
}

const EPOCH = new Date(0);

/**
 * Writes `plan` as a tar to `output`. `onProgress` gets the file bytes written so far and the total
 * after each file.
 */
export async function writeExport(
  plan: ExportPlan,
  output: Writable,
  onProgress: (written: number, total: number) => void = () => undefined,
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
      onProgress(written, plan.bytes);
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
