/**
 * A base that needs no registry, on the embedded runtime: `base: {bootstrap: debian:bookworm}` made
 * with mmdebstrap (or debootstrap) from this host's apt mirror straight into a store, with the image
 * config `docker import` writes (checked against the private dockerd importing the same layer), and
 * reused on the next build without running the tool or touching the network; `--pull` makes it again.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/errors.js';
import { BOOTSTRAP_LABEL } from '../../../src/runtime/bootstrap/bootstrap-key.js';
import { ensureBaseImage } from '../../../src/runtime/embedded/builder/bases.js';
import type { BaseContext } from '../../../src/runtime/embedded/builder/bases.js';
import { layerUnpacker } from '../../../src/runtime/embedded/layer-mode.js';
import { chainIdsOf, checkStore, openStore } from '../../../src/runtime/embedded/store/index.js';
import type { RuntimeEvent } from '../../../src/runtime/events.js';
import { cleanupDirs, tempDir } from '../../runtime/embedded/store/helpers/fixtures.js';
import { lacks } from '../needs.js';
import { services } from './env.js';

afterAll(cleanupDirs);

const TAG = 'devenv-base/bootstrap-e2e:latest';
/** A proxy nobody listens on: any download the tool tried would fail at once. */
const DEAD_PROXY = { http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' };

interface ImportedConfig {
  architecture: string;
  os: string;
  comment: string;
  created: string;
  config: Record<string, unknown> & { Labels: Record<string, string> | null };
  container_config: Record<string, unknown>;
  history: { created: string; comment: string }[];
  rootfs: { type: string; diff_ids: string[] };
}

describe.skipIf(lacks('root', 'debian'))('embedded runtime: bootstrap base', () => {
  it('bootstraps debian:bookworm into the store as docker import would, then reuses it offline until --pull', async () => {
    const root = path.join(tempDir('devenv-e2e-bootstrap-'), 'store');
    const store = await openStore({ root, unpack: layerUnpacker(root) });
    const events: RuntimeEvent[] = [];
    const context = (pull: boolean, env: Record<string, string> = {}): BaseContext => ({
      store,
      projectDir: tempDir(),
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      proxyArgs: env,
      pull,
      onEvent: (event) => events.push(event),
      arch: process.arch,
    });
    const pre = { kind: 'bootstrap', tag: TAG, distribution: 'debian', suite: 'bookworm' } as const;

    const id = await ensureBaseImage(context(false), pre);
    expect(await store.refs.resolve(TAG)).toBe(id);
    const info = events.filter((e) => e.type === 'info').map((e) => e.message);
    expect(info[0]).toMatch(
      /^bootstrapping debian:bookworm from https?:\/\/\S+ with (mmdebstrap|debootstrap)$/,
    );
    expect(events.filter((e) => e.type === 'build:output').length).toBeGreaterThan(3);

    const { bytes } = await store.images.config(id);
    const config = JSON.parse(bytes.toString()) as ImportedConfig;
    expect(config).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      comment: 'Imported from -',
      history: [{ created: config.created, comment: 'Imported from -' }],
      rootfs: { type: 'layers' },
    });
    expect(config.config).toMatchObject({ Env: null, Cmd: null, Entrypoint: null, User: '', WorkingDir: '' });
    const key = config.config.Labels?.[BOOTSTRAP_LABEL];
    expect(key).toMatch(/^debian:bookworm minbase https?:\/\/\S+[^/]$/);

    // The one layer is the root filesystem, unpacked through the store's own layer creation.
    const record = await store.images.get(id);
    expect(record?.layers).toHaveLength(1);
    expect(record?.layers[0]?.digest).toBe(config.rootfs.diff_ids[0]);
    const [chainId] = chainIdsOf(config.rootfs.diff_ids);
    const diff = store.layers.diffDir(chainId ?? '');
    expect(
      lstatSync(path.join(diff, 'bin')).isSymbolicLink() ? readlinkSync(path.join(diff, 'bin')) : 'bin',
    ).toBe('usr/bin');
    expect(existsSync(path.join(diff, 'usr/bin/bash'))).toBe(true);
    expect(readFileSync(path.join(diff, 'etc/debian_version'), 'utf8')).toMatch(/^12\./);
    expect((await checkStore(root)).issues).toEqual([]);

    // Docker, importing the same layer with the same label, writes the same config.
    if (services.dockerHost !== '') {
      const dockerEnv = { DOCKER_HOST: services.dockerHost };
      const blob = store.blobs.path(record?.layers[0]?.digest ?? '');
      const tag = 'devenv-test/bootstrap-parity:1';
      await execa('docker', ['import', '--change', `LABEL ${BOOTSTRAP_LABEL}="${key ?? ''}"`, blob, tag], {
        env: dockerEnv,
      });
      // The config as Docker stored it (inspect leaves out empty fields; save keeps the bytes).
      const saved = path.join(tempDir(), 'saved.tar');
      await execa('docker', ['save', '-o', saved, tag], { env: dockerEnv });
      const manifest = JSON.parse((await execa('tar', ['-xOf', saved, 'manifest.json'])).stdout) as {
        Config: string;
      }[];
      const theirs = JSON.parse(
        (await execa('tar', ['-xOf', saved, manifest[0]?.Config ?? ''])).stdout,
      ) as ImportedConfig & { docker_version?: string };
      delete theirs.docker_version;
      const sameTime = (c: ImportedConfig) => ({
        ...c,
        created: '',
        history: c.history.map((h) => ({ ...h, created: '' })),
      });
      expect(Object.keys(theirs)).toEqual(Object.keys(config));
      expect(sameTime(theirs)).toEqual(sameTime(config));
      await execa('docker', ['rmi', tag], { env: dockerEnv });
    }

    // Again, with every download bound to fail: reused, no tool run.
    events.length = 0;
    expect(await ensureBaseImage(context(false, DEAD_PROXY), pre)).toBe(id);
    expect(events).toEqual([
      { type: 'info', message: 'using the debian:bookworm base made before (--pull makes it again)' },
    ]);

    // --pull runs the tool again (which the dead proxy stops), leaving the base as it was.
    events.length = 0;
    const pulled = await ensureBaseImage(context(true, DEAD_PROXY), pre).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulled).toBeInstanceOf(DevenvError);
    expect((pulled as DevenvError).message).toMatch(
      /^(mmdebstrap|debootstrap) of debian:bookworm from \S+ failed/,
    );
    expect(events.some((e) => e.type === 'build:output')).toBe(true);
    expect(await store.refs.resolve(TAG)).toBe(id);
  }, 1_500_000);
});
