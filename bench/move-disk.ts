/**
 * Disk use of `devenv move`: an environment with incompressible data in its container and in a named
 * volume is moved from the embedded runtime to Docker and back, and the filesystem both live on is
 * sampled all along. The figure is the peak extra disk use during the move against the environment's
 * own size on the side it leaves; the destination copy itself is about 1x (the source goes only once
 * it is complete), so the goal (below 1.2x) leaves 0.2x for everything temporary: no file the size of
 * the environment may be written on the way.
 *
 * To measure without noise from the rest of the machine, the embedded store and a dockerd of its own
 * live on one tmpfs made for this module, and `statfs` of that tmpfs is the disk use.
 */
import { mkdir } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { startDockerd, stopChild } from '../test/e2e/setup/services.js';
import { busyboxConfig, makeProject } from './lib/project.js';
import type { BenchContext, Row } from './lib/types.js';

const NAME = 'bench-move';
const MB = 1024 * 1024;
/** Incompressible data written inside: in the container's own files, and in the volume. */
const CONTAINER_MB = 160;
const VOLUME_MB = 80;

/** Bytes in use on the filesystem of `dir`. */
function used(dir: string): number {
  const s = statfsSync(dir);
  return (s.blocks - s.bfree) * s.bsize;
}

/** Runs `argv` while sampling disk use every 20 ms; resolves with the peak seen and the time taken. */
async function sampled(dir: string, argv: string[], env: Record<string, string>) {
  let peak = used(dir);
  const timer = setInterval(() => {
    peak = Math.max(peak, used(dir));
  }, 20);
  const started = performance.now();
  try {
    const [bin = '', ...args] = argv;
    const result = await execa(bin, args, { env, extendEnv: false, reject: false, input: '' });
    if (result.exitCode !== 0)
      throw new Error(`${argv.slice(2).join(' ')} failed: ${result.stderr.slice(-600)}`);
  } finally {
    clearInterval(timer);
  }
  return { peak: Math.max(peak, used(dir)), ms: performance.now() - started };
}

/** See the file comment. */
export async function bench(ctx: BenchContext): Promise<Row[]> {
  const disk = path.join(ctx.workDir, 'move-disk');
  await mkdir(disk, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=6g,mode=0700', 'devenv-bench-move', disk]);
  let engine: Awaited<ReturnType<typeof startDockerd>>;
  try {
    engine = await startDockerd(path.join(disk, 'engine'));
    if (engine === undefined) throw new Error('dockerd could not start');
    const store = path.join(disk, 'store');
    const env = { ...ctx.env, DOCKER_HOST: engine.host };
    const project = await makeProject(ctx, 'move-disk', {
      'devenv.yml': busyboxConfig(ctx, NAME, ['mounts: [{volume: data, target: /data}]']),
    });
    const devenv = (args: string[]) => [process.execPath, ctx.cli, '-C', project, '--root', store, ...args];
    const run = async (args: string[]) => {
      const result = await execa(devenv(args)[0] ?? '', devenv(args).slice(1), {
        env,
        extendEnv: false,
        reject: false,
        input: '',
      });
      if (result.exitCode !== 0)
        throw new Error(`devenv ${args.join(' ')} failed: ${result.stderr.slice(-600)}`);
    };

    const empty = used(disk);
    await run(['--runtime', 'embedded', 'up', '-d']);
    await run([
      'exec',
      '--',
      'sh',
      '-c',
      `dd if=/dev/urandom of=/root/big bs=1M count=${CONTAINER_MB} 2>/dev/null && dd if=/dev/urandom of=/data/big bs=1M count=${VOLUME_MB} 2>/dev/null`,
    ]);
    const onEmbedded = used(disk) - empty;
    ctx.log(`the environment takes ${(onEmbedded / MB).toFixed(0)} MB on the embedded runtime`);

    const before = used(disk);
    const there = await sampled(disk, devenv(['move', '--to', 'docker']), env);
    const onDocker = used(disk) - empty;
    ctx.log(
      `moved to docker in ${(there.ms / 1000).toFixed(1)} s; it takes ${(onDocker / MB).toFixed(0)} MB there`,
    );

    const beforeBack = used(disk);
    const back = await sampled(disk, devenv(['move', '--to', 'embedded']), env);
    ctx.log(`moved back in ${(back.ms / 1000).toFixed(1)} s`);
    await run(['rm', '-f', '--volumes']);

    return [
      {
        benchmark: 'move embedded → docker: peak extra disk',
        unit: 'MB',
        devenvMs: (there.peak - before) / MB,
        peer: 'the environment (embedded)',
        peerMs: onEmbedded / MB,
      },
      {
        benchmark: 'move docker → embedded: peak extra disk',
        unit: 'MB',
        devenvMs: (back.peak - beforeBack) / MB,
        peer: 'the environment (docker)',
        peerMs: onDocker / MB,
      },
    ];
  } finally {
    if (engine !== undefined) await stopChild(engine.child);
    await execa('umount', ['-l', disk], { reject: false });
  }
}
