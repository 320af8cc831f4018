/**
 * vitest global setup for e2e: starts the real services once per run and hands their addresses to the
 * tests with `provide`. When DEVENV_E2E=require (as .ci/run sets it), a service that cannot start
 * fails the run instead of letting its tests skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { hasCli, isRoot } from '../../helpers/requirements.js';
import { killMonitorsUnder } from '../../helpers/processes.js';
import { sandboxPrefix } from './shard.js';
import { startServices } from './services.js';
import type { Services } from './services.js';

let services: Services | undefined;

/** Removes `root`, first detaching what dockerd left mounted under it (its network namespace). */
function removeRoot(root: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((target) => target.startsWith(`${root}/`))
    .sort()
    .reverse();
  for (const target of mounts) spawnSync('umount', ['-l', target]);
  try {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    // Leftover scratch space is not a test failure; say where it is.
    process.stderr.write(`could not remove ${root}: ${String(error)}\n`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'devenv-e2e-'));
  const cache = process.env['DEVENV_TEST_CACHE'] ?? '/var/tmp/devenv-test-cache';
  const required = process.env['DEVENV_E2E'] === 'require';
  if (required) {
    // What the tests use beyond the services below; checked first so one message lists it all.
    const missing = [
      !isRoot && 'root (the private dockerd, mounts and devices need it)',
      !['/bin/busybox', '/usr/bin/busybox'].some((bin) => existsSync(bin)) && 'busybox (busybox-static)',
      !hasCli('zstd') && 'zstd',
      !existsSync('/usr/bin/Xvfb') && 'Xvfb (xvfb)',
    ].filter(Boolean);
    if (missing.length > 0)
      throw new Error(
        `DEVENV_E2E=require but this machine lacks: ${missing.join(', ')} (.ci/run installs them)`,
      );
  }
  services = await startServices(root, cache);
  if (required) {
    const missing = [
      services.dockerHost === undefined && 'dockerd',
      services.registry === undefined && 'docker-registry',
      services.authRegistry === undefined && 'htpasswd (apache2-utils)',
      services.debianTar === undefined && 'debootstrap',
    ].filter(Boolean);
    if (missing.length > 0)
      throw new Error(`DEVENV_E2E=require but these could not start: ${missing.join(', ')}`);
  }
  project.provide('services', {
    dockerHost: services.dockerHost ?? '',
    registry: services.registry ?? '',
    authRegistry: services.authRegistry ?? '',
    authUser: services.authUser,
    authPassword: services.authPassword,
    busyboxTar: services.busyboxTar,
    debianTar: services.debianTar ?? '',
    busyboxImage: services.images.busybox,
    debianImage: services.images.debian ?? '',
    root,
  });
  return async () => {
    // Environments of the embedded runtime that a failed test left running (their stores are in
    // the system temp dir, as test/e2e/embedded/env.ts makes them).
    killMonitorsUnder(path.join(os.tmpdir(), sandboxPrefix(project.name)));
    await services?.stop();
    // The engine's data root and the registries' storage are gigabytes by the end of a run; the
    // base images are cached elsewhere. DEVENV_KEEP_E2E=1 keeps them for a post-mortem.
    if (process.env['DEVENV_KEEP_E2E'] !== '1') removeRoot(root);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: {
      dockerHost: string;
      registry: string;
      authRegistry: string;
      authUser: string;
      authPassword: string;
      busyboxTar: string;
      debianTar: string;
      busyboxImage: string;
      debianImage: string;
      root: string;
    };
  }
}
