/**
 * Named volumes on Docker, including moving their contents in and out as a tar of the volume root.
 * The copy goes through `docker cp` on a never-started helper container made from an empty image, so
 * it needs no tar (or anything else) inside any image and works on remote engines too.
 */
import { randomBytes } from '../../util/crypto.js';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { docker, dockerMaybe } from './docker-cli.js';
import { checkResult, spawnDocker } from './docker-spawn.js';
import type { DockerTarget } from './docker-cli.js';
import { packEntry } from '../../util/tar-pack.js';

/** The empty image helper containers are made from. */
export const HELPER_IMAGE = 'devenv/empty:1';

async function ensureHelperImage(target: DockerTarget): Promise<void> {
  if ((await dockerMaybe(target, ['image', 'inspect', '--format', '{{.Id}}', HELPER_IMAGE])) !== undefined)
    return;
  // An empty tar is 1024 zero bytes; `docker import` turns it into an image with no files at all.
  const importer = spawnDocker(
    target,
    ['import', '--change', 'LABEL dev.devenv.helper=true', '-', HELPER_IMAGE],
    { stdin: 'pipe' },
  );
  importer.stdin?.end(Buffer.alloc(1024));
  checkResult(target, ['import', HELPER_IMAGE], await importer);
}

async function withHelper<T>(
  target: DockerTarget,
  volume: string,
  fn: (container: string) => Promise<T>,
): Promise<T> {
  await ensureHelperImage(target);
  const name = `devenv-volume-${randomBytes(4).toString('hex')}`;
  await docker(target, [
    'create',
    '--name',
    name,
    '--label',
    'dev.devenv.helper=true',
    '--mount',
    `type=volume,source=${volume},target=/v`,
    HELPER_IMAGE,
    '/none',
  ]);
  try {
    return await fn(name);
  } finally {
    await docker(target, ['rm', '--force', name]).catch(() => undefined);
  }
}

/** Streams the volume's contents (paths relative to its root, owners kept) to `output` as a tar. */
export async function exportVolume(target: DockerTarget, volume: string, output: Writable): Promise<void> {
  await withHelper(target, volume, async (container) => {
    const args = ['cp', '--archive', `${container}:/v/.`, '-'];
    const child = spawnDocker(target, args, { stdout: 'pipe', buffer: { stdout: false, stderr: true } });
    // docker cp names entries "./x"; re-pack them as the volume-relative paths the bundle uses.
    const extract = tar.extract();
    const pack = tar.pack();
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\/?/, '');
      if (name === '') {
        stream.resume();
        next();
        return;
      }
      // An interrupted `docker cp` ends inside an entry; extract's error reports it, not these.
      stream.on('error', () => undefined);
      const entry = packEntry(pack, { ...header, name }, next);
      stream.pipe(entry);
    });
    extract.on('finish', () => {
      pack.finalize();
    });
    const copying = pipeline(pack, output);
    copying.catch(() => undefined); // awaited below; a failure before that must not go unhandled
    if (child.stdout !== null) await pipeline(child.stdout, extract);
    checkResult(target, args, await child);
    await copying;
  });
}

/** Replaces the volume's contents with the tar read from `input`. */
export async function importVolume(target: DockerTarget, volume: string, input: Readable): Promise<void> {
  await withHelper(target, volume, async (container) => {
    const args = ['cp', '--archive', '-', `${container}:/v`];
    const child = spawnDocker(target, args, { stdin: 'pipe' });
    if (child.stdin !== null) await pipeline(input, child.stdin);
    checkResult(target, args, await child);
  });
}
