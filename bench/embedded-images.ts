/**
 * Image operations of the embedded runtime against their peers, measured in one run on the same
 * machine, the same image and the same loopback registry (docs/testing.md#benchmarks):
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
import { execa } from 'execa';
import { median } from './lib/median.js';
import { RECENT_DELETION_WAIT_MS, slowAfterDeletions } from './lib/recent-deletions.js';
import type { BenchContext, Row } from './lib/types.js';

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

function row(benchmark: string, devenvMs: number, peer: string, peerMs: number): Row {
  return { benchmark, devenvMs, peer, peerMs };
}

/** Runs the comparisons described in the module comment. */
/**
 * The benchmark module: pulls, exports and imports the Debian image (busybox when debootstrap could
 * not make Debian) of the runner's loopback registry.
 */
export async function bench(ctx: BenchContext): Promise<Row[]> {
  const runs = Math.max(5, ctx.runs);
  const ref = ctx.services.images.debian ?? ctx.services.images.busybox;
  const root = ctx.workDir;
  const stores = path.join(root, 'stores');
  const dockerEnv = { DOCKER_HOST: ctx.dockerHost };
  const docker = (args: string[]) => execa('docker', args, { env: dockerEnv });
  const devenv = (store: string, args: string[]) =>
    execa(process.execPath, [ctx.cli, '--runtime', 'embedded', '--root', store, ...args], {
      env: ctx.env,
      extendEnv: false,
    });
  ctx.log(`embedded-images: ${ref}, ${runs} runs per command`);
  // No timed run creates files right after thousands were deleted nearby (lib/recent-deletions.ts):
  // devenv's runs and tar's go to fresh folders, removed at the end, and where deletions slow the
  // creates that follow, Docker's runs wait after `docker rmi`, which cannot be avoided.
  const settle = await slowAfterDeletions(root);
  if (settle)
    ctx.log(
      `embedded-images: ${root} is ext4 without a journal; docker runs wait ${RECENT_DELETION_WAIT_MS / 1000} s after docker rmi`,
    );
  let n = 0;
  const freshStore = () => path.join(stores, String(n++));
  let store = freshStore();
  const dropDockerImage = async () => {
    const id = await docker(['image', 'inspect', '--format', '{{.Id}}', ref]).then(
      (r) => r.stdout,
      () => undefined,
    );
    if (id === undefined) return;
    await docker(['rmi', '-f', id]);
    await execa('sync');
    if (!settle) return;
    await new Promise((resolve) => setTimeout(resolve, RECENT_DELETION_WAIT_MS));
  };
  // devenv publishes a layer after one syncfs, which also writes back whatever earlier runs left in
  // the page cache; a sync before each timed run (untimed) leaves each run only its own data to write.
  const nextStore = async () => {
    store = freshStore();
    await execa('sync');
  };

  const pull = await measure(runs, nextStore, () => devenv(store, ['pull', ref]));
  const dockerPull = await measure(runs, dropDockerImage, () => docker(['pull', ref]));

  const oursTar = path.join(root, 'devenv-save.tar');
  const theirsTar = path.join(root, 'docker-save.tar');
  const rootfs = path.join(root, 'rootfs');
  const rootfsTar = path.join(root, 'rootfs.tar');
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

  const load = await measure(runs, nextStore, () => devenv(store, ['load', theirsTar]));
  const dockerLoad = await measure(runs, dropDockerImage, () => docker(['load', '-i', theirsTar]));
  let extracted = '';
  let extractions = 0;
  const tarExtract = await measure(
    runs,
    async () => {
      extracted = path.join(root, 'extracted', String(extractions++));
      mkdirSync(extracted, { recursive: true });
      await execa('sync');
    },
    () => execa('tar', ['-C', extracted, '--numeric-owner', '-xpf', rootfsTar]),
  );
  // Leave the engine as we found it, and the scratch space empty.
  if ((await docker(['image', 'inspect', ref]).catch(() => undefined)) === undefined)
    await docker(['pull', ref]);
  return [
    row('pull (devenv pull, fresh store)', pull, 'docker pull', dockerPull),
    row('export (devenv save)', save, 'docker save', dockerSave),
    row('export (devenv save)', save, 'tar -c rootfs', tarCreate),
    row('import (devenv load, fresh store)', load, 'docker load', dockerLoad),
    row('import (devenv load, fresh store)', load, 'tar -x rootfs', tarExtract),
  ];
}
