/**
 * Checks that need more than one field, or the files around devenv.yml: stage references, the package
 * manager, paths that leave the project, dangerous host mounts. Returns diagnostics; never throws.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from './diagnostic.js';
import { detectPackageManager } from './detect.js';
import { resolveHostPath } from './host-path.js';
import type { ParsedYaml } from './parse-yaml.js';
import type { DevenvConfig, Step } from './schema.js';
import { suggest } from './suggest.js';

/** What the rules need to know about where the file lives. */
export interface RuleContext {
  file: string;
  /** Folder of devenv.yml; relative paths are resolved against it. */
  projectDir: string;
  homeDir: string;
  locate: ParsedYaml['locate'];
  sourceAt: ParsedYaml['sourceAt'];
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY)/i;
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

/** Runs every cross-field and filesystem rule over a config that passed the schema. */
export function checkRules(config: DevenvConfig, ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (
    severity: Diagnostic['severity'],
    code: string,
    fieldPath: (string | number)[],
    message: string,
    hint?: string,
    which: 'key' | 'value' = 'value',
  ) => {
    const pos = ctx.locate(fieldPath, which);
    out.push({
      severity,
      code,
      message,
      path: fieldPath,
      file: ctx.file,
      line: pos?.line,
      col: pos?.col,
      hint,
    });
  };

  checkStages(config, report);
  checkPackageManagers(config, report);
  checkProjectPaths(config, ctx, report);
  checkMounts(config, ctx, report);
  checkSecrets(config, ctx, report);

  if (config.container.privileged)
    report(
      'warning',
      'privileged',
      ['container', 'privileged'],
      'privileged: true gives the container every capability and every host device',
    );
  config.devices.paths.forEach((device, i) => {
    report(
      'warning',
      'device',
      ['devices', 'paths', i],
      `the host device ${device} is shared with the container`,
    );
  });
  if (config.devices.x11 && config.network === 'host') {
    report(
      'warning',
      'x11-host-network',
      ['devices', 'x11'],
      "with network: host the X server's abstract socket is reachable from the container even without the cookie",
      'use network: private for untrusted code',
    );
  }
  if (config.ports.length > 0 && config.network !== 'private') {
    report(
      'warning',
      'ports-ignored',
      ['ports'],
      `ports are only published with network: private (network is ${config.network}, so the container already uses the host's ports)`,
    );
  }
  return out;
}

type Report = (
  severity: Diagnostic['severity'],
  code: string,
  fieldPath: (string | number)[],
  message: string,
  hint?: string,
  which?: 'key' | 'value',
) => void;

function stepsOf(config: DevenvConfig): { steps: readonly Step[]; at: (string | number)[] }[] {
  return [
    { steps: config.steps, at: ['steps'] },
    ...Object.entries(config.stages).map(([name, stage]) => ({
      steps: stage.steps ?? [],
      at: ['stages', name, 'steps'],
    })),
  ];
}

function checkStages(config: DevenvConfig, report: Report): void {
  const names = Object.keys(config.stages);
  const lower = new Map<string, string>();
  for (const name of names) {
    const clash = lower.get(name.toLowerCase());
    if (clash !== undefined)
      report(
        'error',
        'stage-clash',
        ['stages', name],
        `stage names are case-insensitive; "${name}" clashes with "${clash}"`,
        undefined,
        'key',
      );
    lower.set(name.toLowerCase(), name);
  }
  const deps = new Map<string, string[]>();
  for (const { steps, at } of stepsOf(config)) {
    steps.forEach((step, i) => {
      if (!('copy' in step) || step.copy.from === undefined) return;
      const from = step.copy.from;
      const owner = at[0] === 'stages' ? String(at[1]) : undefined;
      if (!names.includes(from)) {
        const guess = suggest(from, names);
        report(
          'error',
          'unknown-stage',
          [...at, i, 'copy', 'from'],
          `no stage named "${from}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
          names.length === 0 ? 'declare it under stages:' : `declared stages: ${names.join(', ')}`,
        );
      } else if (owner !== undefined) {
        deps.set(owner, [...(deps.get(owner) ?? []), from]);
      }
    });
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): boolean => {
    if (done.has(name)) return false;
    if (visiting.has(name)) return true;
    visiting.add(name);
    const cyclic = (deps.get(name) ?? []).some(visit);
    visiting.delete(name);
    done.add(name);
    return cyclic;
  };
  for (const name of names) {
    if (visit(name)) {
      report(
        'error',
        'stage-cycle',
        ['stages', name],
        `stage "${name}" copies from itself through other stages`,
        'remove one of the copy.from steps in the cycle',
        'key',
      );
      return;
    }
  }
}

function checkPackageManagers(config: DevenvConfig, report: Report): void {
  const check = (
    base: DevenvConfig['base'],
    packages: readonly string[],
    manager: string | undefined,
    at: (string | number)[],
  ) => {
    if (packages.length === 0 || manager !== undefined) return;
    const detected = typeof base === 'string' ? detectPackageManager(base) : undefined;
    if (detected === undefined) {
      report(
        'error',
        'package-manager',
        [...at, 'packages'],
        'cannot tell which package manager installs these packages',
        'add packageManager: apt (or apk, dnf, yum, pacman, zypper)',
        'key',
      );
    }
  };
  check(config.base, config.packages, config.packageManager, []);
  for (const [name, stage] of Object.entries(config.stages))
    check(stage.base, stage.packages ?? [], stage.packageManager, ['stages', name]);
}

/** Files that go into a build: they must exist and stay inside the project, symlinks included. */
function checkProjectPaths(config: DevenvConfig, ctx: RuleContext, report: Report): void {
  let root: string;
  try {
    root = realpathSync(ctx.projectDir);
  } catch {
    return;
  }
  const inside = (rel: string, at: (string | number)[], what: string) => {
    const absolute = path.resolve(ctx.projectDir, rel);
    if (!existsSync(absolute)) {
      report('error', 'missing-path', at, `${what} "${rel}" does not exist (looked for ${absolute})`);
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

function checkMounts(config: DevenvConfig, ctx: RuleContext, report: Report): void {
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

function checkSecrets(config: DevenvConfig, ctx: RuleContext, report: Report): void {
  for (const [key, value] of Object.entries(config.env)) {
    if (SECRET_NAME.test(key))
      report(
        'warning',
        'secret-env',
        ['env', key],
        `${key} looks like a secret; env values are stored in the image for anyone who has it`,
        'pass secrets at run time instead (a mounted file or your shell)',
        'key',
      );
    const written = ctx.sourceAt(['env', key]);
    if (typeof value === 'number' && written !== undefined && written !== String(value))
      report(
        'warning',
        'number-env',
        ['env', key],
        `${key}: ${written} is read as the number ${String(value)}`,
        'quote the value to keep it exactly as written',
      );
  }
  for (const key of Object.keys(config.build.args ?? {})) {
    if (SECRET_NAME.test(key))
      report(
        'warning',
        'secret-arg',
        ['build', 'args', key],
        `${key} looks like a secret; build arguments are visible in the image history`,
        undefined,
        'key',
      );
  }
}
