/**
 * Writes a planned image archive (a `docker save` + OCI layout tar, or anything else listed as files)
 * as a deterministic tar: entries in the plan's order, mtime 0, uid/gid 0, fixed modes, so the same
 * plan always gives the same bytes. The embedded runtime's `save` and the Docker squash's
 * `docker load` input are both written here.
 */
import { createHash } from '../../util/crypto.js';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DevenvError } from '../../errors.js';
import { declareFailpoints, failpoint } from '../../util/failpoint.js';
import { FILE_READ_CHUNK } from '../../util/read-chunk.js';
import { packEntry } from '../../util/tar-pack.js';
import { paxRecords, ustarHeader } from '../layer/tar-header.js';
import type { TarHeader } from '../layer/tar-header.js';

declareFailpoints('archive.export.mid-write');

/** One file of the archive: its name, exact size and how to read it. */
export interface ExportEntry {
  name: string;
  size: number;
  open: () => Promise<Readable>;
  /**
   * The same bytes as a file that must hash to `digest` (a stored blob): {@link writeExportFile}
   * copies it through one reused buffer instead of a stream.
   */
  file?: { path: string; digest: string } | undefined;
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

/**
 * Writes `plan` as a tar into the open file `fd`: the same entries in the same order as
 * {@link writeExport}, with devenv's own ustar headers. An entry backed by a file is copied with
 * synchronous reads and writes through one buffer, and its digest is checked on the way; a stream
 * would take a new buffer for every chunk. Fresh memory costs a page fault per 4 KiB, and on the
 * virtual machines where this was measured a fault costs ~15 µs: streaming an 82 MB blob took 0.3 s
 * of faults for 20 ms of copying (docs/hot-paths.md). Throws DEVENV_DIGEST_MISMATCH when a file does
 * not hash to its digest; the caller removes what was written.
 */
export async function writeExportFile(
  plan: ExportPlan,
  fd: number,
  onProgress: (written: number, total: number) => void = () => undefined,
): Promise<void> {
  const out = (bytes: Uint8Array) => {
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
  };
  const header = (entry: TarHeader) => {
    const pax = paxRecords(entry);
    if (pax !== undefined) {
      out(ustarHeader({ name: 'PaxHeader', type: 'pax', mode: 0o644, size: pax.length }));
      out(pax);
      out(ZEROS.subarray(0, padding(pax.length)));
    }
    out(ustarHeader(entry));
  };
  const dirs = new Set(
    plan.entries.flatMap((e) => (e.name.startsWith('blobs/') ? ['blobs/', 'blobs/sha256/'] : [])),
  );
  for (const dir of [...dirs].sort())
    header({ name: dir, type: 'directory', mode: 0o755, mtime: EPOCH, uid: 0, gid: 0, size: 0 });
  const buffer = Buffer.allocUnsafe(FILE_READ_CHUNK);
  let written = 0;
  for (const entry of plan.entries) {
    header({ name: entry.name, type: 'file', mode: 0o644, mtime: EPOCH, uid: 0, gid: 0, size: entry.size });
    const copied =
      entry.file === undefined
        ? await copyStream(await entry.open(), out)
        : copyFile(entry.file, buffer, out);
    if (copied !== entry.size)
      throw new DevenvError(
        'DEVENV_STORE',
        `${entry.name}: ${copied} bytes where the archive's plan says ${entry.size}`,
        { hint: 'Run "devenv doctor" to check the store.' },
      );
    out(ZEROS.subarray(0, padding(entry.size)));
    written += entry.size;
    onProgress(written, plan.bytes);
    await failpoint('archive.export.mid-write');
  }
  out(ZEROS);
}

const ZEROS = Buffer.alloc(1024);

function padding(size: number): number {
  return (512 - (size % 512)) % 512;
}

async function copyStream(source: Readable, out: (bytes: Uint8Array) => void): Promise<number> {
  let copied = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    out(chunk);
    copied += chunk.length;
  }
  return copied;
}

function copyFile(
  file: { path: string; digest: string },
  buffer: Buffer,
  out: (bytes: Uint8Array) => void,
): number {
  const hash = createHash('sha256');
  const fd = openSync(file.path, 'r');
  let copied = 0;
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const chunk = buffer.subarray(0, n);
      hash.update(chunk);
      out(chunk);
      copied += n;
    }
  } finally {
    closeSync(fd);
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== file.digest)
    throw new DevenvError(
      'DEVENV_DIGEST_MISMATCH',
      `${file.path} failed to verify: its content hashes to ${actual}, not ${file.digest}`,
      { hint: 'The store is damaged; run "devenv doctor --repair", then pull or load the image again.' },
    );
  return copied;
}
