/**
 * `npm run bench`: starts the private dockerd and loopback registries once, runs each benchmark
 * module in turn, prints one table per module and writes the same figures to
 * bench/results/latest.json. Exits non-zero only when a benchmark could not run, never because
 * something was slow.
 *
 *   node dist-bench/bench/run.js [--only NAME] [--runs N] [--warmup N]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { startServices } from '../test/e2e/setup/services.js';
import type { Services } from '../test/e2e/setup/services.js';
import { bench as bundleMoves } from './bundle-moves.js';
import { bench as dockerBuild } from './docker-build.js';
import { bench as dockerSession } from './docker-session.js';
import { bench as embeddedBuild } from './embedded-build.js';
import { bench as embeddedSession } from './embedded-session.js';
import { bench as embeddedImages } from './embedded-images.js';
import { bench as moveDisk } from './move-disk.js';
import { firstFrame as tuiFirstFrame, idle as tuiIdleCpu } from './tui.js';
import { machineFacts, renderMachine } from './lib/machine.js';
import type { MachineFacts } from './lib/machine.js';
import { ratioOf, renderTable } from './lib/table.js';
import type { BenchContext, BenchModule, Row } from './lib/types.js';

/** The repository root: this file runs as dist-bench/bench/run.js. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const MODULES: Record<string, BenchModule> = {
  'docker-session': dockerSession,
  'docker-build': dockerBuild,
  'embedded-images': embeddedImages,
  'embedded-build': embeddedBuild,
  'embedded-session': embeddedSession,
  'bundle-moves': bundleMoves,
  'move-disk': moveDisk,
  'tui-first-frame': tuiFirstFrame,
  'tui-idle-cpu': tuiIdleCpu,
};

const USAGE = `usage: npm run bench -- [--only NAME] [--runs N] [--warmup N]
  --only NAME   run one module: ${Object.keys(MODULES).join(', ')}
  --runs N      timed runs per command (default 10)
  --warmup N    untimed runs before them (default 2)
  DEVENV_BENCH_CACHE  where installed peers and base images are kept (default /var/tmp/devenv-bench-cache)`;

interface Options {
  only: string | undefined;
  runs: number;
  warmup: number;
  /** Kept between runs: the devcontainers CLI, base image tarballs. */
  cacheDir: string;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function count(value: string | undefined, fallback: number, min: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs a whole number of at least ${min}`);
  return n;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (values.only !== undefined && !(values.only in MODULES))
    throw new Error(`no benchmark module named ${values.only}`);
  return {
    only: values.only,
    runs: count(values.runs, 10, 2, '--runs'),
    // The fully cached build needs one untimed run to absorb the previous case's last edit.
    warmup: count(values.warmup, 2, 1, '--warmup'),
    cacheDir: process.env['DEVENV_BENCH_CACHE'] ?? '/var/tmp/devenv-bench-cache',
  };
}

interface ModuleResult {
  name: string;
  rows: Row[];
  error?: string | undefined;
}

async function runModules(
  services: Services,
  dockerHost: string,
  options: Options,
  root: string,
): Promise<ModuleResult[]> {
  const results: ModuleResult[] = [];
  for (const [name, run] of Object.entries(MODULES)) {
    if (options.only !== undefined && options.only !== name) continue;
    const workDir = path.join(root, 'work', name);
    const home = path.join(workDir, 'home');
    await mkdir(home, { recursive: true });
    const ctx: BenchContext = {
      repoRoot: REPO_ROOT,
      cli: path.join(REPO_ROOT, 'dist', 'devenv.cjs'),
      services,
      dockerHost,
      env: {
        HOME: home,
        DOCKER_HOST: dockerHost,
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        NO_COLOR: '1',
      },
      runs: options.runs,
      warmup: options.warmup,
      cacheDir: options.cacheDir,
      workDir,
      log: (message) => {
        log(`${name}: ${message}`);
      },
    };
    log(`running ${name}`);
    try {
      results.push({ name, rows: await run(ctx) });
    } catch (error) {
      results.push({ name, rows: [], error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

/**
 * Removes the run's scratch folder. dockerd leaves its default network namespace bind-mounted in its
 * exec root when it exits; that one is unmounted. Anything else still mounted keeps the folder.
 */
async function removeScratch(root: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, target]) => target?.startsWith(`${root}/`));
  for (const [, target, type] of mounts) if (type === 'nsfs') await execa('umount', [target ?? '']);
  if (mounts.some(([, , type]) => type !== 'nsfs')) {
    log(`left ${root} in place: something is still mounted under it`);
    return;
  }
  await rm(root, { recursive: true, force: true });
}

/** Prints the tables on stdout and writes the same figures to bench/results/latest.json. */
async function report(results: ModuleResult[], machine: MachineFacts, options: Options): Promise<void> {
  console.log(`# devenv benchmarks, ${options.runs} runs (${options.warmup} warmup) per command\n`);
  console.log(`${renderMachine(machine)}\n`);
  for (const result of results) {
    console.log(renderTable(result.name, result.rows));
    if (result.error !== undefined) console.log(`FAILED ${result.name}: ${result.error}`);
    console.log('');
  }
  const json = {
    date: new Date().toISOString(),
    runs: options.runs,
    warmup: options.warmup,
    machine,
    modules: results.map((r) => ({ ...r, rows: r.rows.map((row) => ({ ...row, ratio: ratioOf(row) })) })),
  };
  const out = path.join(REPO_ROOT, 'bench', 'results', 'latest.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(json, null, 2)}\n`);
  log(`wrote ${out}`);
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'devenv-bench-'));
  log('starting dockerd and the loopback registries');
  let services: Services | undefined;
  try {
    services = await startServices(path.join(root, 'services'), path.join(options.cacheDir, 'base-images'));
    if (services.dockerHost === undefined) {
      console.error('the benchmarks need dockerd, docker-registry and root; see bench/README.md');
      return 1;
    }
    const env = { DOCKER_HOST: services.dockerHost, PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
    const machine = await machineFacts(env);
    const results = await runModules(services, services.dockerHost, options, root);
    await report(results, machine, options);
    const failed = results.some(
      (r) => r.error !== undefined || r.rows.some((row) => row.error !== undefined),
    );
    return failed ? 1 : 0;
  } finally {
    await services?.stop();
    await removeScratch(root);
  }
}

process.exitCode = await main();
