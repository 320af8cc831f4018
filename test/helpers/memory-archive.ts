/**
 * Archives of the in-memory runtime: `saveImages` writes the `docker save` shape (manifest.json, one
 * config and one layer tar per image) and `loadImages` reads it back; a volume export is a plain tar
 * of its files. Enough for round trips through the engine and the bundle code, in memory.
 */
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import type { ImageSummary } from '../../src/runtime/runtime.js';

/** One image (or, without a summary, a volume) and its files. */
export interface ArchiveEntry {
  ref: string;
  summary: ImageSummary | undefined;
  files: ReadonlyMap<string, string>;
}

async function pack(entries: readonly (readonly [string, Buffer])[]): Promise<Buffer> {
  const archive = tar.pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const [name, data] of entries) archive.entry({ name, size: data.length, mode: 0o644 }, data);
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function unpack(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(bytes);
  await done;
  return files;
}

async function readAll(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function filesTar(files: ReadonlyMap<string, string>): Promise<Buffer> {
  return pack([...files].map(([name, text]) => [name.replace(/^\//, ''), Buffer.from(text)] as const));
}

async function filesOf(bytes: Buffer): Promise<Map<string, string>> {
  return new Map([...(await unpack(bytes))].map(([name, data]) => [`/${name}`, data.toString()]));
}

/** Writes images in the `docker save` shape, or a volume's files as a plain tar. */
export async function writeArchive(entries: readonly ArchiveEntry[], output: Writable): Promise<void> {
  let bytes: Buffer;
  const [only] = entries;
  if (entries.length === 1 && only?.summary === undefined) bytes = await filesTar(only?.files ?? new Map());
  else {
    const members: [string, Buffer][] = [];
    const manifest = [];
    for (const { ref, summary, files } of entries) {
      if (summary === undefined) continue;
      const hex = summary.id.slice(7);
      const layer = await filesTar(files);
      const layerName = `${createHash('sha256').update(layer).digest('hex')}/layer.tar`;
      members.push([`${hex}.json`, Buffer.from(JSON.stringify(summary))], [layerName, layer]);
      manifest.push({
        Config: `${hex}.json`,
        RepoTags: ref.startsWith('sha256:') ? null : [ref],
        Layers: [layerName],
      });
    }
    members.push(['manifest.json', Buffer.from(JSON.stringify(manifest))]);
    bytes = await pack(members);
  }
  await new Promise<void>((resolve, reject) => {
    output.end(bytes, () => {
      resolve();
    });
    output.once('error', reject);
  });
}

/** Reads what {@link writeArchive} wrote: images from a `docker save` shape, else one volume's files. */
export async function readArchive(input: Readable): Promise<ArchiveEntry[]> {
  const members = await unpack(await readAll(input));
  const manifest = members.get('manifest.json');
  if (manifest === undefined)
    return [
      {
        ref: '',
        summary: undefined,
        files: new Map([...members].map(([name, data]) => [`/${name}`, data.toString()])),
      },
    ];
  const items = JSON.parse(manifest.toString()) as {
    Config: string;
    RepoTags: string[] | null;
    Layers: string[];
  }[];
  return Promise.all(
    items.map(async (item) => {
      const summary = JSON.parse(members.get(item.Config)?.toString() ?? '{}') as ImageSummary;
      const layer = members.get(item.Layers[0] ?? '') ?? Buffer.alloc(0);
      return {
        ref: item.RepoTags?.[0] ?? summary.id,
        summary: { ...summary, tags: item.RepoTags ?? [] },
        files: await filesOf(layer),
      };
    }),
  );
}
