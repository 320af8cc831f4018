/**
 * The embedded runtime's `tarball` and `bootstrap` bases on a real store: a root filesystem tar
 * becomes the one-layer image `docker import` makes, an image archive is loaded and tagged, each is
 * reused while its content is unchanged; a bootstrap base whose key matches is reused without running
 * any tool, and `--pull` runs the tool again.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../../src/errors.js';
import { BOOTSTRAP_LABEL, bootstrapKey } from '../../../../src/runtime/bootstrap/bootstrap-key.js';
import { chooseTool } from '../../../../src/runtime/bootstrap/make-root.js';
import { importRootfs } from '../../../../src/runtime/embedded/archive/import-rootfs.js';
import { ensureBaseImage } from '../../../../src/runtime/embedded/builder/bases.js';
import type { BaseContext } from '../../../../src/runtime/embedded/builder/bases.js';
import type { RuntimeEvent } from '../../../../src/runtime/events.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import { legacyParts } from '../archive/helpers/archives.js';
import { cleanupDirs, freshStore, makeLayer, makeTar, sha256, tempDir } from '../store/helpers/fixtures.js';

afterAll(cleanupDirs);

const TAG = 'devenv-base/demo:latest';
const haveTool = await chooseTool({ PATH: process.env['PATH'] ?? '' }).then(
  () => true,
  () => false,
);

/** A store whose clock advances a second per reading, so each import gets its own `created`. */
async function store(): Promise<Store> {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  return freshStore({ now: () => (clock += 1000) });
}

function context(s: Store, projectDir: string, events: RuntimeEvent[] = [], pull = false): BaseContext {
  return {
    store: s,
    projectDir,
    env: { PATH: tempDir() },
    proxyArgs: {},
    pull,
    onEvent: (event) => events.push(event),
    arch: 'x64',
  };
}

const rootfs = (motd: string) =>
  makeTar([{ name: './' }, { name: './etc/' }, { name: './etc/motd', content: motd }]);

interface Config {
  architecture: string;
  os: string;
  comment: string;
  config: { Env: unknown; Cmd: unknown; Entrypoint: unknown; Labels: Record<string, string> | null };
  history: { comment: string }[];
  rootfs: { diff_ids: string[] };
}

async function configOf(s: Store, id: string): Promise<Config> {
  return JSON.parse((await s.images.config(id)).bytes.toString()) as Config;
}

describe('ensureBaseImage: tarball', () => {
  it('imports a root filesystem tar as docker import does, and reuses it until the tar changes', async () => {
    const s = await store();
    const project = tempDir();
    const tar = await rootfs('hello\n');
    writeFileSync(path.join(project, 'rootfs.tar'), tar);
    const events: RuntimeEvent[] = [];
    const id = await ensureBaseImage(context(s, project, events), {
      kind: 'tarball',
      tag: TAG,
      tarball: 'rootfs.tar',
    });
    expect(await s.refs.resolve(TAG)).toBe(id);
    const config = await configOf(s, id);
    expect(config).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      comment: 'Imported from -',
      config: { Env: null, Cmd: null, Entrypoint: null, Labels: { 'dev.devenv.source': sha256(tar) } },
      history: [{ comment: 'Imported from -' }],
      rootfs: { diff_ids: [sha256(tar)] },
    });
    expect((await s.images.get(id))?.layers.map((l) => l.digest)).toEqual([sha256(tar)]);
    expect(events).toContainEqual({ type: 'info', message: 'loading the base image from rootfs.tar' });

    const again: RuntimeEvent[] = [];
    expect(
      await ensureBaseImage(context(s, project, again), { kind: 'tarball', tag: TAG, tarball: 'rootfs.tar' }),
    ).toBe(id);
    expect(again).toEqual([]);

    writeFileSync(path.join(project, 'rootfs.tar'), await rootfs('changed\n'));
    const changed = await ensureBaseImage(context(s, project), {
      kind: 'tarball',
      tag: TAG,
      tarball: 'rootfs.tar',
    });
    expect(changed).not.toBe(id);
    expect(await s.refs.resolve(TAG)).toBe(changed);
  });

  it('loads a docker save archive, tags its image, and reloads only when the archive changes', async () => {
    const s = await store();
    const project = tempDir();
    const layer = await makeLayer({ 'etc/motd': 'from an archive\n' }, false);
    const { entries, configs } = legacyParts([{ layers: [layer], tags: ['example/saved:1'] }]);
    writeFileSync(path.join(project, 'image.tar'), await makeTar(entries));
    const events: RuntimeEvent[] = [];
    const pre = { kind: 'tarball', tag: TAG, tarball: 'image.tar' } as const;
    const id = await ensureBaseImage(context(s, project, events), pre);
    expect(id).toBe(sha256(configs[0] ?? ''));
    expect(await s.refs.resolve(TAG)).toBe(id);
    expect(await s.refs.resolve('example/saved:1')).toBe(id);
    expect(events).toContainEqual({ type: 'info', message: 'loading the base image from image.tar' });

    const again: RuntimeEvent[] = [];
    expect(await ensureBaseImage(context(s, project, again), pre)).toBe(id);
    expect(again).toEqual([]);

    // A tag moved elsewhere since is not the image the archive made: load again.
    await s.refs.remove([TAG]);
    const reloaded: RuntimeEvent[] = [];
    expect(await ensureBaseImage(context(s, project, reloaded), pre)).toBe(id);
    expect(reloaded).toContainEqual({ type: 'info', message: 'loading the base image from image.tar' });
  });

  it('names the missing tarball and how the path is read', async () => {
    const s = await store();
    const error = await ensureBaseImage(context(s, tempDir()), {
      kind: 'tarball',
      tag: TAG,
      tarball: 'nope.tar',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).message).toContain('nope.tar');
    expect((error as DevenvError).hint).toContain('relative to devenv.yml');
  });
});

describe('ensureBaseImage: bootstrap', () => {
  const mirror = 'http://127.0.0.1:9/debian';
  const pre = { kind: 'bootstrap', tag: TAG, distribution: 'debian', suite: 'bookworm', mirror } as const;
  const key = bootstrapKey({ distribution: 'debian', suite: 'bookworm', variant: 'minbase', mirror });

  async function seeded(s: Store, label: string): Promise<string> {
    const file = path.join(tempDir(), 'rootfs.tar');
    writeFileSync(file, await rootfs('made earlier\n'));
    return importRootfs(s, file, { tag: TAG, labels: { [BOOTSTRAP_LABEL]: label }, arch: 'x64' });
  }

  it('reuses the base made before with the same key, running no tool (none is on PATH)', async () => {
    const s = await store();
    const id = await seeded(s, key);
    const events: RuntimeEvent[] = [];
    expect(await ensureBaseImage(context(s, tempDir(), events), pre)).toBe(id);
    expect(events).toEqual([
      { type: 'info', message: 'using the debian:bookworm base made before (--pull makes it again)' },
    ]);
  });

  it.skipIf(!haveTool)(
    'makes it again with --pull, or when the key differs (here the mirror refuses)',
    async () => {
      const s = await store();
      const id = await seeded(s, key);
      const run = async (c: BaseContext, p: typeof pre) => {
        const error = await ensureBaseImage({ ...c, env: { PATH: process.env['PATH'] ?? '' } }, p).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DevenvError);
        expect((error as DevenvError).message).toContain(`of debian:${p.suite} from ${mirror} failed`);
      };
      await run(context(s, tempDir(), [], true), pre);
      await run(context(s, tempDir()), { ...pre, suite: 'trixie' } as unknown as typeof pre);
      // A failed bootstrap leaves the old base tagged and no scratch behind.
      expect(await s.refs.resolve(TAG)).toBe(id);
      expect(readdirSync(s.paths.tmpDir)).toEqual([]);
    },
  );
});
