/** Rules about paths: build inputs stay inside the project, mounts are unique, sensitive host paths are named. */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from '../util/node-path.js';
import { resolveHostPath } from './host-path.js';
import type { DevenvConfig } from './schema.js';
import { stepsOf } from './rules-types.js';
import type { Report, RuleContext } from './rules-types.js';

const SENSITIVE_HOST_PATHS = [
  '/',
  '/etc',
  '/root',
  '/home',
  '/boot',
  '/usr',
  '/var',
  '/proc',
  '/sys',
  '/dev',
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/podman/podman.sock',
];

/**
 * Files that go into a build: they must stay inside the project, symlinks included. One that does
 * not exist is a warning: the build that needs it refuses to start.
 */
export function checkProjectPaths(config: DevenvConfig, ctx: RuleContext, report: Report): void {
  let root: string;
  try {
    root = realpathSync(ctx.projectDir);
  } catch {
    return;
  }
  const inside = (rel: string, at: (string | number)[], what: string) => {
    const absolute = path.resolve(ctx.projectDir, rel);
    if (!existsSync(absolute)) {
      // Only a build reads it: an environment restored from a bundle runs its image without it, so
      // this is said here and refused by the build that needs it (see ensureImage).
      report(
        'warning',
        'missing-path',
        at,
        `${what} "${rel}" does not exist (looked for ${absolute}); a build needs it`,
        'add it to the project folder before the image is built again',
      );
      return;
    }
    const real = realpathSync(absolute);
    if (real !== root && !real.startsWith(root + path.sep)) {
      report(
        'error',
        'path-escape',
        at,
        `${what} "${rel}" resolves to ${real}, outside the project folder ${root}`,
        'builds only see files inside the folder of devenv.yml; copy the file into it',
      );
    }
  };
  const bases: { base: DevenvConfig['base']; at: (string | number)[] }[] = [
    { base: config.base, at: ['base'] },
    ...Object.entries(config.stages).map(([name, stage]) => ({
      base: stage.base,
      at: ['stages', name, 'base'],
    })),
  ];
  for (const { base, at } of bases) {
    if (typeof base === 'string') continue;
    if ('dockerfile' in base) {
      inside(base.dockerfile, [...at, 'dockerfile'], 'the Dockerfile');
      if (base.context !== undefined) inside(base.context, [...at, 'context'], 'the build context');
    } else if ('tarball' in base) {
      inside(base.tarball, [...at, 'tarball'], 'the tarball');
    }
  }
  for (const { steps, at } of stepsOf(config)) {
    steps.forEach((step, i) => {
      if ('copy' in step && step.copy.from === undefined)
        inside(step.copy.src, [...at, i, 'copy', 'src'], 'the copy source');
    });
  }
}

export function checkMounts(config: DevenvConfig, ctx: RuleContext, report: Report): void {
  const targets = new Map<string, number>();
  config.mounts.forEach((mount, i) => {
    const previous = targets.get(mount.target);
    if (previous !== undefined)
      report(
        'error',
        'duplicate-target',
        ['mounts', i],
        `${mount.target} is already the target of mounts[${previous}]`,
      );
    targets.set(mount.target, i);
    if (mount.type !== 'bind') return;
    const host = resolveHostPath(mount.source, ctx.projectDir, ctx.homeDir);
    const sensitive =
      SENSITIVE_HOST_PATHS.includes(host) || host === path.join(ctx.homeDir, '.ssh') || host === ctx.homeDir;
    if (sensitive)
      report(
        'warning',
        'sensitive-mount',
        ['mounts', i],
        `mounts the host's ${host} into the container${mount.readonly ? '' : ' read-write'}`,
      );
    if (!existsSync(host))
      report(
        'warning',
        'missing-mount',
        ['mounts', i],
        `${host} does not exist yet; devenv creates it as an empty folder`,
      );
    else if (!mount.readonly && !statSync(host).isDirectory() && !statSync(host).isFile())
      report('warning', 'special-mount', ['mounts', i], `${host} is neither a file nor a folder`);
  });
}
