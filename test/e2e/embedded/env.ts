/**
 * Shared setup for the embedded runtime's CLI tests: an isolated user (own HOME, settings, Docker
 * config) with its own store, the built CLI run with `--runtime embedded --root <store>`, the private
 * dockerd for interop, and a two-layer image in the registry that shares its base with busybox.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { inject } from 'vitest';
import { once } from '../../../src/util/once.js';
import { killMonitorsUnder } from '../../helpers/processes.js';
import { CLI } from '../../helpers/cli.js';
import { lacks } from '../needs.js';
import { sandboxPrefix } from '../setup/shard.js';

export const services = inject('services');
/**
 * For `describe.skipIf`: true, after printing why, unless the registry and the busybox image pushed
 * by the private dockerd exist (see ../needs.ts).
 */
export const noRegistry = lacks('docker', 'registry');

/** One isolated user with one store. */
export interface Sandbox {
  dir: string;
  home: string;
  root: string;
  env: Record<string, string>;
}

const made: string[] = [];

/** A fresh sandbox under the system temp dir (private, 0700). */
export function sandbox(): Sandbox {
  const dir = mkdtempSync(path.join(os.tmpdir(), sandboxPrefix(process.env['DEVENV_TEST_SHARD'])));
  chmodSync(dir, 0o700);
  made.push(dir);
  const home = path.join(dir, 'home');
  mkdirSync(home);
  return {
    dir,
    home,
    root: path.join(dir, 'store'),
    env: { HOME: home, PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1' },
  };
}

/** Removes every sandbox (for afterAll). */
export function cleanupSandboxes(): void {
  for (const dir of made.splice(0)) {
    killMonitorsUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How a CLI run ended. */
export interface Run {
  exitCode: number;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/** Options of {@link devenv}. */
export interface RunOptions {
  input?: string;
  /** `DEVENV_FAILPOINTS`, such as `layers.apply.mid-extract:kill`. */
  failpoints?: string;
  /** Leave out `--runtime embedded --root <store>` (settings decide). */
  bare?: boolean;
  env?: Record<string, string>;
}

/** Runs the built CLI as `box`'s user, on its store unless `bare`. */
export async function devenv(box: Sandbox, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const prefix = options.bare === true ? [] : ['--runtime', 'embedded', '--root', box.root];
  const result = await execa(process.execPath, [CLI, ...prefix, ...args], {
    cwd: box.dir,
    env: {
      ...box.env,
      ...(options.failpoints === undefined ? {} : { DEVENV_FAILPOINTS: options.failpoints }),
      ...options.env,
    },
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    timeout: 240_000,
  });
  return {
    exitCode: result.exitCode ?? -1,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** `devenv --json …` parsed, failing with the run's stderr when it did not succeed. */
export async function devenvJson<T>(
  box: Sandbox,
  args: readonly string[],
  options: RunOptions = {},
): Promise<T> {
  const run = await devenv(box, [...args, '--json'], options);
  if (run.exitCode !== 0) throw new Error(`devenv ${args.join(' ')} exited ${run.exitCode}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** docker against the private engine; throws on failure. */
export async function docker(args: readonly string[]): Promise<string> {
  const result = await execa('docker', args, { env: { DOCKER_HOST: services.dockerHost } });
  return result.stdout;
}

/** An image as `images --json` prints it. */
export interface ListedImage {
  id: string;
  tags: string[];
  size?: number;
}

/** The image record the store wrote for `id` (white-box: the layers' diff IDs). */
export function imageRecord(box: Sandbox, id: string): { layers: { digest: string; diffId: string }[] } {
  return JSON.parse(readFileSync(path.join(box.root, 'images', `${id.slice(7)}.json`), 'utf8')) as {
    layers: { digest: string; diffId: string }[];
  };
}

/** refs.json of the store: tag → image ID. */
export function storedTags(box: Sandbox): Record<string, string> {
  try {
    return (
      JSON.parse(readFileSync(path.join(box.root, 'refs.json'), 'utf8')) as { refs: Record<string, string> }
    ).refs;
  } catch {
    return {};
  }
}

/**
 * `<registry>/devenv-test/busybox-plus:1`: busybox plus one COPY layer, pushed once per run. It
 * shares its base layer with busybox, so concurrent pulls overlap and a child layer goes through
 * the overlay path of the applier.
 */
export const layeredImage = once(async () => {
  const context = mkdtempSync(path.join(os.tmpdir(), 'devenv-emb-ctx-'));
  made.push(context);
  writeFileSync(path.join(context, 'Dockerfile'), `FROM ${services.busyboxImage}\nCOPY plus /etc/plus\n`);
  writeFileSync(path.join(context, 'plus'), 'one more layer\n');
  const tag = `${services.registry}/devenv-test/busybox-plus:1`;
  await execa('docker', ['build', '-q', '-t', tag, context], {
    env: { DOCKER_HOST: services.dockerHost, DOCKER_BUILDKIT: '0' },
  });
  await docker(['push', tag]);
  return tag;
});
