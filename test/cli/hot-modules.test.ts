/**
 * The thin entry: on a plan cache hit, the hot commands reach the runtime without loading yaml, zod
 * or devenv.yml's loaders and validators, and `--help` loads no command module. Docker is pointed at
 * a socket where nothing listens, so each command gets as far as its first call to the engine and
 * stops there with the daemon-down error: proof that it went all the way through the load.
 */
import { readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devenv } from '../helpers/cli.js';
import { importersOf, packagesOf, tracedDevenv } from '../helpers/loaded-modules.js';
import type { TracedRun } from '../helpers/loaded-modules.js';
import { makeProject, removeProject } from '../helpers/project.js';
import { openStore } from '../../src/runtime/embedded/store/index.js';
import { makeLayer, storeImage } from '../runtime/embedded/store/helpers/fixtures.js';
import { tarUnpacker } from '../runtime/embedded/store/helpers/tar-unpacker.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

function setup(): { dir: string; env: Record<string, string> } {
  const dir = makeProject({
    'devenv.yml':
      'name: hot-modules\nbase: alpine:3.20\nruntime: docker\nsteps:\n  - copy: { src: ./stuff, dest: /opt/stuff }\n',
    'stuff/a': 'x\n',
  });
  const home = makeProject({});
  dirs.push(dir, home);
  // The cache trusts no stat younger than 2 s (a file written within the same tick could change
  // unseen); files this new would make the second run a miss on a quick machine.
  const past = new Date(Date.now() - 60_000);
  for (const p of ['devenv.yml', 'stuff/a', 'stuff', '.']) utimesSync(path.join(dir, p), past, past);
  return {
    dir,
    env: {
      HOME: home,
      DOCKER_HOST: `unix://${path.join(home, 'no-daemon.sock')}`,
      PATH: process.env['PATH'] ?? '',
    },
  };
}

/** The modules of ours that import `pkg`, relative to dist/. */
function ourImporters(run: TracedRun, pkg: string): string[] {
  return importersOf(run, pkg).map((url) => url.replace(/^.*\/dist\//, ''));
}

describe('thin entry', () => {
  const hot: [string, string[]][] = [
    ['exec', ['exec', '--', 'true']],
    ['shell', ['shell']],
    ['attach', ['attach']],
    ['status', ['status']],
    ['up -d', ['up', '-d']],
    ['ls', ['--runtime', 'docker', 'ls']],
  ];

  it.each(hot)('%s on a cache hit loads neither yaml, zod nor the config validators', async (_name, args) => {
    const { dir, env } = setup();
    // The first command loads devenv.yml in full and stores the plan.
    const first = await tracedDevenv(['exec', '--', 'true'], { cwd: dir, env });
    expect(first.stderr).toContain('Docker daemon is not running');
    expect(packagesOf(first.modules)).toContain('yaml');

    const run = await tracedDevenv(args, { cwd: dir, env });
    expect(run.stderr).toContain('Docker daemon is not running');
    const packages = packagesOf(run.modules);
    expect(packages).not.toContain('yaml');
    expect(packages).not.toContain('cosmiconfig');
    expect(ourImporters(run, 'zod')).toEqual([]);
    expect(packages).not.toContain('zod');
    const ours = run.modules.map((url) => url.replace(/^.*\/dist\//, ''));
    for (const heavy of [
      'config/validate.js',
      'config/load.js',
      'config/settings.js',
      'config/parse-yaml.js',
    ])
      expect(ours.filter((m) => m === heavy || m.endsWith(`/${heavy}`))).toEqual([]);
    // The Engine API answers each of them: none starts a process on the way, so none loads Node's
    // child_process (and net, dgram behind it) at start.
    expect(run.modules).not.toContain('node:child_process');
  });

  it.each(hot)(
    '%s on a cache hit requires neither yaml nor zod in the compiled build',
    async (name, args) => {
      const { dir, env } = setup();
      const first = await tracedDevenv(['exec', '--', 'true'], { cwd: dir, env, compiled: true });
      expect(first.stderr).toContain('Docker daemon is not running');
      // The hook sees the compiled build's requires: the first run loads devenv.yml with yaml.
      expect(packagesOf(first.modules)).toContain('yaml');

      // stdin from a file, as under a script or a benchmark: Node makes an fs stream of it if read.
      const run = await tracedDevenv(args, { cwd: dir, env, compiled: true, stdinFile: '/dev/null' });
      expect(run.stderr).toContain('Docker daemon is not running');
      const packages = packagesOf(run.modules);
      // (tar-stream may load: up's first run digests the COPY sources, which exec did not need.)
      // Nor execa, which the compiled build requires from a file of its own where it is first used.
      for (const heavy of ['yaml', 'zod', 'dockerfile-ast', 'execa']) expect(packages).not.toContain(heavy);
      // The launcher's own vm module shows that the list of Node's modules is read at all.
      expect(run.builtins).toContain('vm');
      // exec and attach load neither Node's crypto nor fs/promises: the plan cache, the launcher's
      // code cache and the files read on their way need neither (docs/hot-paths.md#the-launcher).
      // The others still do (status and up hash the image's inputs or read the store's blobs).
      if (name === 'exec' || name === 'attach') {
        expect(run.builtins).not.toContain('crypto');
        expect(run.builtins).not.toContain('fs/promises');
      }
      // No hot command reads process.stdin before it needs the stream (exec hands a child the
      // descriptor): for a file, making it loads Node's fs streams. (Not up here: its first run
      // digests the COPY sources with read streams.)
      if (name !== 'up -d') expect(run.builtins).not.toContain('internal/fs/streams');
    },
  );

  it('status on the embedded runtime reads the image from the store without zod or yaml', async () => {
    const { dir, env } = setup();
    const root = path.join(makeProject({}), 'store');
    dirs.push(path.dirname(root));
    const store = await openStore({ root, unpack: tarUnpacker });
    await storeImage(store, [await makeLayer({ 'etc/motd': 'hi\n' })], {
      tag: 'devenv/hot-modules:latest',
    });
    const args = ['--runtime', 'embedded', '--root', root, 'status'];
    const first = await tracedDevenv(args, { cwd: dir, env });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(packagesOf(first.modules)).toContain('yaml');

    const run = await tracedDevenv(args, { cwd: dir, env });
    expect(run.exitCode, run.stderr).toBe(0);
    // refs.json, the image record and its config were read: status found the image.
    expect(run.stdout).toMatch(/image: +devenv\/hot-modules:latest \(built\)/);
    expect(run.modules.some((url) => url.endsWith('/runtime/embedded/store/store.js'))).toBe(true);
    // Docker's runtime (its CLI, Engine API client and sessions) is not loaded for an embedded one.
    const ours = run.modules.map((url) => url.replace(/^.*\/dist\//, ''));
    expect(
      ours.filter((m) => m.startsWith('runtime/docker/') && m !== 'runtime/docker/call-policy.js'),
    ).toEqual([]);
    const packages = packagesOf(run.modules);
    expect(packages).not.toContain('zod');
    expect(packages).not.toContain('yaml');
    expect(packages).not.toContain('tar-stream');

    const compiled = await tracedDevenv(args, { cwd: dir, env, compiled: true });
    expect(compiled.exitCode, compiled.stderr).toBe(0);
    expect(compiled.stdout).toMatch(/image: +devenv\/hot-modules:latest \(built\)/);
    for (const heavy of ['zod', 'yaml', 'tar-stream'])
      expect(packagesOf(compiled.modules)).not.toContain(heavy);
    // It starts no process, so it does not load Node's child_process (and net, dgram behind it).
    // (The ES-module build's trace shows Node's modules; the require hook does not see `node:` ones.)
    expect(run.modules).not.toContain('node:child_process');
  });

  it('ls on the embedded runtime reads the container records, without execa or child_process', async () => {
    const { dir, env } = setup();
    const root = path.join(makeProject({}), 'store');
    dirs.push(path.dirname(root));
    await openStore({ root, unpack: tarUnpacker });
    const run = await tracedDevenv(['--runtime', 'embedded', '--root', root, 'ls'], { cwd: dir, env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^NAME +STATE/);
    const ours = run.modules.map((url) => url.replace(/^.*\/dist\//, ''));
    expect(ours.some((m) => m.endsWith('runtime/embedded/containers/list.js'))).toBe(true);
    // Listing starts, stops and attaches nothing: none of the code that does is loaded.
    expect(ours.filter((m) => m.endsWith('runtime/embedded/containers/containers.js'))).toEqual([]);
    expect(packagesOf(run.modules)).not.toContain('execa');
    expect(run.modules).not.toContain('node:child_process');
  });

  it('save of an image on the embedded runtime loads neither the bundle code nor yaml, zod or execa', async () => {
    const { env } = setup();
    const cwd = makeProject({});
    dirs.push(cwd);
    const root = path.join(cwd, 'store');
    const store = await openStore({ root, unpack: tarUnpacker });
    await storeImage(store, [await makeLayer({ 'etc/motd': 'hi\n' })], { tag: 'hot/saved:1' });
    const file = path.join(cwd, 'saved.tar');
    // A first command reads the settings file in full and caches it, as any first run does.
    expect((await devenv(['--runtime', 'embedded', '--root', root, 'images'], { cwd, env })).exitCode).toBe(
      0,
    );
    const run = await tracedDevenv(
      ['--runtime', 'embedded', '--root', root, 'save', 'hot/saved:1', '-o', file],
      {
        cwd,
        env,
      },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(file).length).toBeGreaterThan(1024);
    const ours = run.modules.map((url) => url.replace(/^.*\/dist\//, ''));
    expect(ours).toContain('runtime/embedded/archive/export.js');
    for (const unused of [
      'bundle/save.js',
      'runtime/embedded/archive/import.js',
      'runtime/embedded/layers/apply-layer.js',
    ])
      expect(ours).not.toContain(unused);
    const packages = packagesOf(run.modules);
    for (const heavy of ['yaml', 'zod', 'execa'])
      expect(packages, JSON.stringify(importersOf(run, heavy))).not.toContain(heavy);
  });

  it('load of a plain image archive on the embedded runtime loads neither the bundle restore nor yaml or zod', async () => {
    const { env } = setup();
    const cwd = makeProject({});
    dirs.push(cwd);
    const root = path.join(cwd, 'store');
    const store = await openStore({ root, unpack: tarUnpacker });
    await storeImage(store, [await makeLayer({ 'etc/motd': 'hi\n' })], { tag: 'hot/loaded:1' });
    const file = path.join(cwd, 'saved.tar');
    const saved = await devenv(
      ['--runtime', 'embedded', '--root', root, 'save', 'hot/loaded:1', '-o', file],
      {
        cwd,
        env,
      },
    );
    expect(saved.exitCode, saved.stderr).toBe(0);
    const run = await tracedDevenv(
      ['--runtime', 'embedded', '--root', path.join(cwd, 'other'), 'load', file],
      {
        cwd,
        env,
      },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toContain('hot/loaded:1');
    const ours = run.modules.map((url) => url.replace(/^.*\/dist\//, ''));
    expect(ours).toContain('runtime/embedded/archive/import.js');
    for (const unused of [
      'bundle/load-environment.js',
      'bundle/verify.js',
      'bundle/format.js',
      'config/validate.js',
      'image/archive/read-oci.js',
    ])
      expect(ours).not.toContain(unused);
    const packages = packagesOf(run.modules);
    for (const heavy of ['yaml', 'zod'])
      expect(packages, JSON.stringify(importersOf(run, heavy))).not.toContain(heavy);
  });

  it('the TUI paints its first frame without yaml, zod, execa, chokidar or tar-stream on a cache hit', async () => {
    const { dir, env } = setup();
    await devenv(['exec', '--', 'true'], { cwd: dir, env });
    const run = await tracedDevenv([], { cwd: dir, env: { ...env, TERM: 'xterm' }, untilFirstWrite: true });
    // 99: it reached its first write to the terminal (the first frame), where the trace ends.
    expect(run.exitCode, run.stdout + run.stderr).toBe(99);
    const ours = run.modules.map((url) => url.replace(/^.*\/dist\//, ''));
    expect(ours).toContain('ui/tui/index.js');
    const packages = packagesOf(run.modules);
    for (const heavy of ['yaml', 'zod', 'execa', 'chokidar', 'tar-stream'])
      expect(packages).not.toContain(heavy);
  });

  it('a changed devenv.yml is loaded in full again (and seen)', async () => {
    const { dir, env } = setup();
    await devenv(['exec', '--', 'true'], { cwd: dir, env });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      path.join(dir, 'devenv.yml'),
      'name: hot-modules\nbase: alpine:3.20\nruntime: docker\npakages: []\n',
    );
    const run = await tracedDevenv(['exec', '--', 'true'], { cwd: dir, env });
    expect(run.stderr).toContain('unknown key "pakages"');
    expect(packagesOf(run.modules)).toContain('yaml');
  });

  it('--help loads no command module', async () => {
    const run = await tracedDevenv(['--help'], {});
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('exec');
    const commands = run.modules.filter((url) =>
      /\/dist\/commands\/(?!command-table|help|args)[^/]+\.js$/.test(url),
    );
    expect(commands).toEqual([]);
  });
});
