/**
 * Moving a whole environment: `devenv save` and `devenv load` of the same environment on both
 * runtimes, against `docker save`/`docker load` of the same files and plain `tar` of the same data,
 * each side in one hyperfine call:
 * - the environment: the Debian base, a tree of generated files copied into the container (its
 *   writable layer) and another into a named volume (see `lib/seed-data.ts`);
 * - save: `devenv save` on the embedded runtime and on Docker vs `docker save` of the Docker
 *   environment's container committed as an image (untimed), and `tar -c` of that container's
 *   exported root filesystem plus the volume's files;
 * - load: `devenv load` into a fresh store and state folder (embedded) or onto a second, emptied
 *   dockerd standing in for another PC (Docker) vs `docker load` of the `docker save` archive onto that
 *   emptied dockerd, and `tar -x` of the tar.
 * Every runtime is named with `--runtime`. A throughput ratio against tar is the inverse of the
 * time ratio printed.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { startDockerd, stopChild } from '../test/e2e/setup/services.js';
import { hyperfine } from './lib/hyperfine.js';
import type { TimedCommand } from './lib/hyperfine.js';
import { devenvArgv, makeProject, setup } from './lib/project.js';
import { writeSeedTree } from './lib/seed-data.js';
import type { BenchContext, Row } from './lib/types.js';

const NAME = 'bench-bundle';

/** The environment's devenv.yml: the generated trees come in through a read-only project mount. */
function config(name: string, base: string): string {
  return [
    `name: ${name}`,
    `base: ${base}`,
    'network: none',
    'mounts: ["./seed:/seed:ro", {volume: data, target: /data}]',
    '',
  ].join('\n');
}

/** Empties the dockerd at `host` (containers, images, volumes) and makes `dir` an empty folder. */
function emptying(host: string, dir: string): string[] {
  const d = `docker -H ${host}`;
  const script = [
    `c=$(${d} ps -aq); [ -z "$c" ] || ${d} rm -f $c >/dev/null`,
    `${d} system prune -af >/dev/null`,
    `v=$(${d} volume ls -q); [ -z "$v" ] || ${d} volume rm $v >/dev/null`,
    `rm -rf ${dir}`,
    `mkdir -p ${dir}/project`,
  ].join('; ');
  return ['sh', '-c', script];
}

/** Rows of devenv's commands (the first `devenv` medians) against each peer of the same call. */
function rowsOf(
  benchmark: string,
  names: readonly string[],
  medians: readonly number[],
  devenv: number,
): Row[] {
  const rows: Row[] = [];
  for (let d = 0; d < devenv; d++)
    for (let p = devenv; p < names.length; p++)
      rows.push({
        benchmark: `${benchmark} (${names[d] ?? ''})`,
        devenvMs: medians[d],
        peer: names[p] ?? '',
        peerMs: medians[p],
      });
  return rows;
}

async function timed(ctx: BenchContext, benchmark: string, commands: TimedCommand[], devenv: number) {
  ctx.log(`${benchmark}: ${commands.map((c) => c.name).join(', ')}`);
  try {
    const medians = await hyperfine(commands, { runs: ctx.runs, warmup: ctx.warmup, env: ctx.env });
    return rowsOf(
      benchmark,
      commands.map((c) => c.name),
      medians,
      devenv,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return commands.slice(devenv).map((c) => ({ benchmark, peer: c.name, error: message }));
  }
}

/** See the file comment. */
export async function bench(ctx: BenchContext): Promise<Row[]> {
  const base = ctx.services.images.debian;
  if (base === undefined) throw new Error('no Debian base image here (debootstrap could not make one)');
  const work = ctx.workDir;
  const out = path.join(work, 'out');
  await mkdir(out, { recursive: true });
  const pc2 = await startDockerd(path.join(work, 'pc2'));
  if (pc2 === undefined) throw new Error('could not start a second dockerd');
  try {
    const onDocker = await makeProject(ctx, 'on-docker', { 'devenv.yml': config(`${NAME}-docker`, base) });
    const onEmbedded = await makeProject(ctx, 'on-embedded', {
      'devenv.yml': config(`${NAME}-embedded`, base),
    });
    const seed = path.join(work, 'seed');
    const bytes =
      (await writeSeedTree(path.join(seed, 'container'), { files: 2400, large: 8 })) +
      (await writeSeedTree(path.join(seed, 'volume'), { files: 1200, large: 4 }));
    ctx.log(`generated ${String(Math.round(bytes / 1e6))} MB of files`);
    for (const project of [onDocker, onEmbedded]) await execa('cp', ['-a', seed, path.join(project, 'seed')]);
    const store = path.join(work, 'embedded-store');
    const docker = (args: string[]) => devenvArgv(ctx, onDocker, ['--runtime', 'docker', ...args]);
    const embedded = (args: string[]) =>
      devenvArgv(ctx, onEmbedded, ['--runtime', 'embedded', '--root', store, ...args]);
    const fill = [
      'exec',
      '--',
      'sh',
      '-c',
      'cp -a /seed/container /root/data && cp -a /seed/volume/. /data/',
    ];
    for (const devenv of [docker, embedded]) {
      await setup(ctx, devenv(['up', '-d']));
      await setup(ctx, devenv(fill));
    }

    // The peers' data: the Docker environment's container as an image, and as plain files.
    const container = (
      await setup(ctx, ['docker', 'ps', '-aq', '--filter', `label=dev.devenv.name=${NAME}-docker`])
    ).trim();
    const peerImage = `${NAME}-peer:latest`;
    await setup(ctx, ['docker', 'commit', container, peerImage]);
    const plain = path.join(work, 'plain');
    await mkdir(path.join(plain, 'rootfs'), { recursive: true });
    // pipefail: a failed export must stop the module, not leave tar timing an empty folder.
    await setup(ctx, [
      'bash',
      '-o',
      'pipefail',
      '-c',
      `docker export ${container} | tar -x -C ${plain}/rootfs && cp -a ${seed}/volume ${plain}/volume`,
    ]);

    const file = (name: string) => path.join(out, `${name}.tar`);
    const removing = (name: string) => ['rm', '-f', file(name)];
    const saves = await timed(
      ctx,
      'save',
      [
        { name: 'embedded', argv: embedded(['save', '-o', file('embedded')]), prepare: removing('embedded') },
        { name: 'docker runtime', argv: docker(['save', '-o', file('docker')]), prepare: removing('docker') },
        {
          name: 'docker save',
          argv: ['docker', 'save', '-o', file('docker-save'), peerImage],
          prepare: removing('docker-save'),
        },
        {
          name: 'tar -c',
          argv: ['tar', '-C', plain, '--numeric-owner', '-cf', file('plain'), '.'],
          prepare: removing('plain'),
        },
      ],
      2,
    );
    for (const name of ['embedded', 'docker', 'docker-save', 'plain'])
      ctx.log(`${name}.tar: ${String(Math.round((await stat(file(name))).size / 1e6))} MB`);

    const fresh = (dir: string) => ['sh', '-c', `rm -rf ${dir} && mkdir -p ${dir}/project`];
    const loadE = path.join(work, 'load-embedded');
    const loadD = path.join(work, 'load-docker');
    const extracted = path.join(work, 'extracted');
    const loads = await timed(
      ctx,
      'load',
      [
        {
          name: 'embedded',
          argv: [
            'env',
            `XDG_STATE_HOME=${loadE}/state`,
            ...devenvArgv(ctx, `${loadE}/project`, [
              '--runtime',
              'embedded',
              '--root',
              `${loadE}/store`,
              'load',
              '--yes',
              file('embedded'),
            ]),
          ],
          prepare: fresh(loadE),
        },
        {
          name: 'docker runtime',
          argv: [
            'env',
            `DOCKER_HOST=${pc2.host}`,
            `XDG_STATE_HOME=${loadD}/state`,
            ...devenvArgv(ctx, `${loadD}/project`, ['--runtime', 'docker', 'load', '--yes', file('docker')]),
          ],
          prepare: emptying(pc2.host, loadD),
        },
        {
          name: 'docker load',
          argv: ['docker', '-H', pc2.host, 'load', '-i', file('docker-save')],
          prepare: emptying(pc2.host, loadD),
        },
        {
          name: 'tar -x',
          argv: ['tar', '-C', extracted, '--numeric-owner', '-xpf', file('plain')],
          prepare: fresh(extracted),
        },
      ],
      2,
    );
    // The embedded store holds mounts only while an environment runs: stop it, then drop the files.
    await setup(ctx, embedded(['rm', '-f', '--volumes'])).catch(() => '');
    await setup(ctx, docker(['rm', '-f', '--volumes'])).catch(() => '');
    await setup(ctx, ['docker', 'rmi', '-f', peerImage]).catch(() => '');
    await rm(out, { recursive: true, force: true });
    return [...saves, ...loads];
  } finally {
    await stopChild(pc2.child);
  }
}
