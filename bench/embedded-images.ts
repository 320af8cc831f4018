/**
 * Image operations of the embedded runtime against their peers, measured in one run on the same
 * machine, the same image and the same loopback registry (shared/TESTING.md "Benchmarks"):
 * - pull: `devenv pull` into a fresh store vs `docker pull` after removing the image from Docker;
 * - export: `devenv save` vs `docker save`, and vs `tar -c` of the same root filesystem;
 * - import: `devenv load` into a fresh store vs `docker load` after removing the image, and vs
 *   `tar -x` of that root filesystem tar. Both loaders read the same `docker save` archive.
 * Only the command itself is timed; the clean-up between runs is not. Each figure is the median of
 * `runs` runs, and `ratio` is devenv's median over the peer's (below 1: devenv is faster).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** What the benchmark needs. */
export interface EmbeddedImagesBenchContext {
  /** `unix://…` of the Docker engine to compare with; the image is removed from it between runs. */
  dockerHost: string;
  /** `host:port` of the loopback registry both pull from. */
  registry: string;
  /** Repository and tag in `registry`, such as `devenv-test/debian:bookworm`. */
  image: string;
  /** A scratch directory for stores, archives and root filesystems; emptied as the runs go. */
  root: string;
  /** Runs per measurement (at least 5 are taken). */
  runs: number;
  /** The built CLI; defaults to dist/cli.js beside this folder. */
  cli?: string | undefined;
}

/** One comparison. */
export interface BenchRow {
  name: string;
  median_ms: number;
  peer: string;
  peer_median_ms: number;
  /** median_ms / peer_median_ms. */
  ratio: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Median time of `command` over `runs`, running `prepare` (untimed) before each run. */
async function measure(runs: number, prepare: () => Promise<void>, command: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await prepare();
    const start = performance.now();
    await command();
    times.push(performance.now() - start);
  }
  return Math.round(median(times));
}

/** A `prepare` step that removes `target`. */
function removing(target: string): () => Promise<void> {
  return () => {
    rmSync(target, { recursive: true, force: true });
    return Promise.resolve();
  };
}

function row(name: string, ours: number, peer: string, theirs: number): BenchRow {
  return {
    name,
    median_ms: ours,
    peer,
    peer_median_ms: theirs,
    ratio: Math.round((ours / theirs) * 100) / 100,
  };
}

/** Runs the comparisons described in the module comment. */
export async function benchEmbeddedImages(ctx: EmbeddedImagesBenchContext): Promise<BenchRow[]> {
  const runs = Math.max(5, ctx.runs);
  const ref = `${ctx.registry}/${ctx.image}`;
  const cli = ctx.cli ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  const home = path.join(ctx.root, 'home');
  const stores = path.join(ctx.root, 'stores');
  mkdirSync(home, { recursive: true });
  const dockerEnv = { DOCKER_HOST: ctx.dockerHost };
  const docker = (args: string[]) => execa('docker', args, { env: dockerEnv });
  const env = { HOME: home, PATH: process.env['PATH'] ?? '/usr/bin:/bin', NO_COLOR: '1' };
  const devenv = (store: string, args: string[]) =>
    execa(process.execPath, [cli, '--runtime', 'embedded', '--root', store, ...args], {
      env,
      extendEnv: false,
    });
  let n = 0;
  const freshStore = () => path.join(stores, String(n++));
  let store = freshStore();
  const dropStores = removing(stores);
  const dropDockerImage = async () => {
    const id = await docker(['image', 'inspect', '--format', '{{.Id}}', ref]).then(
      (r) => r.stdout,
      () => undefined,
    );
    if (id !== undefined) await docker(['rmi', '-f', id]);
  };

  const pull = await measure(
    runs,
    async () => {
      await dropStores();
      store = freshStore();
    },
    () => devenv(store, ['pull', ref]),
  );
  const dockerPull = await measure(runs, dropDockerImage, () => docker(['pull', ref]));

  const oursTar = path.join(ctx.root, 'devenv-save.tar');
  const theirsTar = path.join(ctx.root, 'docker-save.tar');
  const rootfs = path.join(ctx.root, 'rootfs');
  const rootfsTar = path.join(ctx.root, 'rootfs.tar');
  const save = await measure(runs, removing(oursTar), () => devenv(store, ['save', ref, '-o', oursTar]));
  const dockerSave = await measure(runs, removing(theirsTar), () => docker(['save', '-o', theirsTar, ref]));
  // The same root filesystem, as Docker runs it, for plain tar.
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs);
  const container = (await docker(['create', '--network', 'none', ref, 'true'])).stdout;
  await execa('sh', ['-c', `docker export ${container} | tar -x -C ${rootfs}`], {
    env: { ...process.env, ...dockerEnv },
  });
  await docker(['rm', '-f', container]);
  const tarCreate = await measure(runs, removing(rootfsTar), () =>
    execa('tar', ['-C', rootfs, '--numeric-owner', '-cf', rootfsTar, '.']),
  );

  const load = await measure(
    runs,
    async () => {
      await dropStores();
      store = freshStore();
    },
    () => devenv(store, ['load', theirsTar]),
  );
  const dockerLoad = await measure(runs, dropDockerImage, () => docker(['load', '-i', theirsTar]));
  const extracted = path.join(ctx.root, 'extracted');
  const tarExtract = await measure(
    runs,
    async () => {
      await removing(extracted)();
      mkdirSync(extracted);
    },
    () => execa('tar', ['-C', extracted, '--numeric-owner', '-xpf', rootfsTar]),
  );
  // Leave the engine as we found it, and the scratch space empty.
  if ((await docker(['image', 'inspect', ref]).catch(() => undefined)) === undefined)
    await docker(['pull', ref]);
  rmSync(ctx.root, { recursive: true, force: true });

  return [
    row('pull (devenv pull, fresh store)', pull, 'docker pull', dockerPull),
    row('export (devenv save)', save, 'docker save', dockerSave),
    row('export (devenv save)', save, 'tar -c rootfs', tarCreate),
    row('import (devenv load, fresh store)', load, 'docker load', dockerLoad),
    row('import (devenv load, fresh store)', load, 'tar -x rootfs', tarExtract),
  ];
}
