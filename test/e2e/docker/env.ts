/** Shared setup for the Docker e2e tests: an isolated HOME per test file and projects on the local base image. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { inject } from 'vitest';
import { devenv } from '../../helpers/cli.js';
import type { CliOptions, CliResult } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
import { lacks } from '../needs.js';

export const services = inject('services');
export const dockerAvailable = services.dockerHost !== '';
/** For `describe.skipIf`: true, after printing why, without the private dockerd (see ../needs.ts). */
export const noDocker = lacks('docker');

/**
 * An isolated user: own HOME (state, docker config), the private dockerd, and settings that make
 * Docker their runtime (as root on this host, `auto` would pick the embedded one).
 */
export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'devenv-home-'));
  mkdirSync(path.join(home, '.config', 'devenv'), { recursive: true });
  writeFileSync(path.join(home, '.config', 'devenv', 'config.yml'), 'runtime: docker\n');
  return {
    HOME: home,
    DOCKER_HOST: services.dockerHost,
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    ...extra,
  };
}

/** docker against the private engine. */
export async function docker(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await execa('docker', args, {
    env: { DOCKER_HOST: services.dockerHost, ...env },
    reject: false,
  });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
}

/** A project whose devenv.yml starts from the local busybox image. */
export function busyboxProject(name: string, lines: string[], files: Record<string, string> = {}): string {
  return makeProject({
    'devenv.yml': [`name: ${name}`, `base: ${services.busyboxImage}`, 'network: none', ...lines].join('\n'),
    ...files,
  });
}

/** Runs devenv with the given environment in `cwd`. */
export function run(
  cwd: string,
  env: Record<string, string>,
  args: string[],
  options: Omit<CliOptions, 'cwd' | 'env'> = {},
): Promise<CliResult> {
  return devenv(args, { ...options, cwd, env });
}
