/**
 * The build context as a tar stream holding exactly what the Dockerfile reads: the COPY sources named
 * by the plan plus the generated Dockerfile. Sending this instead of the whole project keeps builds
 * fast in big repositories and leaks nothing else from the project into the builder.
 */
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { createHash } from '../util/crypto.js';
import { DevenvError } from '../errors.js';
import { asFsError } from '../util/fs-problem.js';
import { packBody, packEntry } from '../util/tar-pack.js';

/** Where the generated Dockerfile sits inside the context tar. */
export const CONTEXT_DOCKERFILE = '.devenv-build/Dockerfile';

const UNREADABLE_HINT =
  'make it readable for you (chmod, chown), or narrow the src of the copy step in devenv.yml so it leaves it out';

/** Runs a read of a COPY source; a failure the user can fix becomes a DevenvError naming the file. */
async function reading<T>(full: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw await asFsError(
      error,
      full,
      `cannot read ${full}, which a copy step sends to the build`,
      UNREADABLE_HINT,
    );
  }
}

/** What a special file is called, for the error that refuses it. */
function specialKind(info: Stats): string | undefined {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device node';
  return undefined;
}

/**
 * The lstat of a context entry. Special files are refused: Docker cannot copy them, and reading a
 * named pipe would wait forever.
 */
async function entryInfo(root: string, rel: string): Promise<Stats> {
  const full = path.join(root, rel);
  const info = await reading(full, () => lstat(full));
  const kind = specialKind(info);
  if (kind !== undefined)
    throw new DevenvError(
      'DEVENV_CONFIG_INVALID',
      `${full} is ${kind}; a copy step can send only files, folders and symbolic links`,
      {
        hint: 'remove it, or narrow the src of the copy step in devenv.yml so it leaves it out',
      },
    );
  return info;
}

async function walk(root: string, rel: string, visit: (rel: string) => Promise<void>): Promise<void> {
  await visit(rel);
  const info = await entryInfo(root, rel);
  if (!info.isDirectory()) return;
  const full = path.join(root, rel);
  for (const name of (await reading(full, () => readdir(full))).sort())
    await walk(root, path.posix.join(rel, name), visit);
}

/** Streams a file's bytes into `sink`, naming the file when it cannot be read. */
async function readInto(full: string, sink: NodeJS.WritableStream): Promise<void> {
  await reading(full, () => pipeline(createReadStream(full), sink));
}

/** Every path the context holds, parents first, sorted, without duplicates. */
async function contextEntries(projectDir: string, paths: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const start of paths) {
    const parts = start === '.' ? [] : start.split('/');
    for (let i = 1; i < parts.length; i++) seen.add(parts.slice(0, i).join('/'));
    await walk(projectDir, start, (rel) => {
      seen.add(rel);
      return Promise.resolve();
    });
  }
  seen.delete('.');
  return [...seen].sort();
}

/**
 * Packs the context: `paths` (relative to `projectDir`) and `files` (name → content). Returns the
 * readable tar; errors (an unreadable file) surface on the stream and name the file.
 */
export function packContext(
  projectDir: string,
  paths: readonly string[],
  files: Readonly<Record<string, string>>,
): Readable {
  const pack = tar.pack();
  const fill = async () => {
    for (const rel of await contextEntries(projectDir, paths)) {
      const full = path.join(projectDir, rel);
      const info = await entryInfo(projectDir, rel);
      const header = { name: rel, mode: info.mode & 0o7777, mtime: info.mtime, uid: info.uid, gid: info.gid };
      if (info.isDirectory()) packEntry(pack, { ...header, type: 'directory' });
      else if (info.isSymbolicLink())
        packEntry(pack, { ...header, type: 'symlink', linkname: await reading(full, () => readlink(full)) });
      else if (info.isFile()) {
        const entry = packEntry(pack, { ...header, type: 'file', size: info.size });
        await readInto(full, entry);
      }
    }
    for (const [name, content] of Object.entries(files))
      packBody(pack, { name, mode: 0o644, mtime: new Date(0) }, content);
    pack.finalize();
  };
  fill().catch((error: unknown) => {
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return Readable.from(pack);
}

/**
 * `sha256:` over the context's paths, types, modes and contents: changes when anything the build
 * reads changes, so `up` can skip a build whose inputs are unchanged.
 */
export async function hashContext(projectDir: string, paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const rel of await contextEntries(projectDir, paths)) {
    const full = path.join(projectDir, rel);
    const info = await entryInfo(projectDir, rel);
    hash.update(`${rel}\0${info.mode.toString(8)}\0`);
    if (info.isSymbolicLink()) hash.update(`link:${await reading(full, () => readlink(full))}\0`);
    else if (info.isFile()) {
      hash.update(`file:${info.size}\0`);
      await reading(full, async () => {
        for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
      });
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
