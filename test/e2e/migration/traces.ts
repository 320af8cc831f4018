/**
 * What a user's runtime holds, for the checks that a refused or killed `load` left nothing behind:
 * every image with its tags, every container and every volume. On Docker, the run's private engine
 * (shared by the Docker users of a file); on the embedded runtime, the user's own store, leftovers of
 * a half-made container or volume included.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { services } from '../docker/env.js';
import type { RuntimeUser } from '../conformance/runtimes.js';

export interface Traces {
  images: string[];
  containers: string[];
  volumes: string[];
}

async function dockerLines(args: readonly string[]): Promise<string[]> {
  const result = await execa('docker', args, { env: { DOCKER_HOST: services.dockerHost } });
  return result.stdout.split('\n').filter(Boolean).sort();
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The `--root` of an embedded user, undefined for a Docker one. */
export function storeOf(user: RuntimeUser): string | undefined {
  const at = user.globals.indexOf('--root');
  return at < 0 ? undefined : user.globals[at + 1];
}

/** Everything `user`'s runtime holds now. */
export async function tracesOf(user: RuntimeUser, cwd: string): Promise<Traces> {
  const listed = await user.run(cwd, ['images', '--json']);
  expect(listed.exitCode, listed.stderr).toBe(0);
  const images = (JSON.parse(listed.stdout) as { id: string; tags: string[] }[])
    .map((image) => `${image.id} ${[...image.tags].sort().join(',')}`)
    .sort();
  const root = storeOf(user);
  if (root === undefined) {
    return {
      images,
      containers: await dockerLines(['ps', '-a', '--format', '{{.Names}}']),
      volumes: await dockerLines(['volume', 'ls', '-q']),
    };
  }
  return {
    images,
    containers: entries(path.join(root, 'containers')),
    volumes: entries(path.join(root, 'volumes')),
  };
}

/** On the embedded runtime, `doctor --json` finds the store consistent; on Docker, nothing to check. */
export async function expectStoreClean(user: RuntimeUser, cwd: string): Promise<void> {
  if (storeOf(user) === undefined) return;
  const doctor = await user.run(cwd, ['doctor', '--json']);
  const report = JSON.parse(doctor.stdout) as {
    store?: { issues: unknown[] };
    checks: { name: string; status: string }[];
  };
  expect(report.store?.issues, doctor.stdout).toEqual([]);
  expect(report.checks.find((check) => check.name === 'consistency')?.status, doctor.stdout).toBe('ok');
}
