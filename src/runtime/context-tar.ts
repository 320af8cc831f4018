/**
 * The build context as a tar stream holding exactly what the Dockerfile reads: the COPY sources named
 * by the plan plus the generated Dockerfile. Sending this instead of the whole project keeps builds
 * fast in big repositories and leaks nothing else from the project into the builder.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { createHash } from 'node:crypto';

/** Where the generated Dockerfile sits inside the context tar. */
export const CONTEXT_DOCKERFILE = '.devenv-build/Dockerfile';

async function walk(root: string, rel: string, visit: (rel: string) => Promise<void>): Promise<void> {
  await visit(rel);
  const info = await lstat(path.join(root, rel));
  if (!info.isDirectory()) return;
  for (const name of (await readdir(path.join(root, rel))).sort())
    await walk(root, path.posix.join(rel, name), visit);
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
      const info = await lstat(full);
      const header = { name: rel, mode: info.mode & 0o7777, mtime: info.mtime, uid: info.uid, gid: info.gid };
      if (info.isDirectory()) pack.entry({ ...header, type: 'directory' });
      else if (info.isSymbolicLink())
        pack.entry({ ...header, type: 'symlink', linkname: await readlink(full) });
      else if (info.isFile()) {
        const entry = pack.entry({ ...header, type: 'file', size: info.size });
        await pipeline(createReadStream(full), entry);
      }
    }
    for (const [name, content] of Object.entries(files))
      pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
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
    const info = await lstat(full);
    hash.update(`${rel}\0${info.mode.toString(8)}\0`);
    if (info.isSymbolicLink()) hash.update(`link:${await readlink(full)}\0`);
    else if (info.isFile()) {
      hash.update(`file:${info.size}\0`);
      for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
