/**
 * Rewrites a (small) tar archive entry by entry with tar-stream, so tests can poison a real saved
 * bundle: change a file's bytes, drop an entry, or keep it as it was.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';

/** Returns the entry's new bytes, `null` to drop it, or `undefined` to keep it unchanged. */
export type EntryEdit = (name: string, data: Buffer) => Buffer | string | null | undefined;

/** Reads every entry of the tar at `source` into memory. */
export async function readTar(source: string): Promise<{ header: Header; data: Buffer }[]> {
  const entries: { header: Header; data: Buffer }[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      entries.push({ header, data: Buffer.concat(chunks) });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([readFileSync(source)]).pipe(extract);
  await done;
  return entries;
}

/** Writes a copy of the tar at `source` to `target` with `edit` applied to each entry. */
export async function editTar(source: string, target: string, edit: EntryEdit): Promise<void> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { header, data } of await readTar(source)) {
    const changed = edit(header.name, data);
    if (changed === null) continue;
    const bytes = changed === undefined ? data : Buffer.from(changed);
    pack.entry({ ...header, size: bytes.length }, bytes);
  }
  pack.finalize();
  await done;
  writeFileSync(target, Buffer.concat(chunks));
}
