/**
 * RunSpec + image → the container record's config: the same decisions `docker create` makes from
 * the flags run-args.ts writes (docs/embedded-runtime.md#containers), so one devenv.yml gives the
 * same container on both runtimes. Pure apart from reading device nodes' kinds.
 */
import { lstatSync } from 'node:fs';
import { DEFAULT_PATH } from '../../../plan/env-refs.js';
import { SECRET_ENV_TARGET, wrapWithSecrets } from '../../../plan/secrets.js';
import type { RunSpec } from '../../../plan/types.js';
import { ALL_CAPABILITIES, DOCKER_CAPABILITIES } from '../sandbox/index.js';
import type { ContainerConfig, ContainerMount } from './record.js';

/** The image fields a container starts from. */
export interface ImageRunDefaults {
  id: string;
  entrypoint: readonly string[] | null;
  cmd: readonly string[] | null;
  env: readonly string[];
  user?: string | undefined;
  workdir?: string | undefined;
  stopSignal?: string | undefined;
}

/** Where a named volume's data lives, from the volume store. */
export type VolumeDir = (name: string) => string;

function envMap(entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}

/** The image's environment with the run settings' variables on top, PATH always set (as Docker). */
export function containerEnv(image: readonly string[], run: Readonly<Record<string, string>>): string[] {
  const merged = envMap(image);
  for (const [key, value] of Object.entries(run)) merged.set(key, value);
  if (!merged.has('PATH')) merged.set('PATH', DEFAULT_PATH);
  return [...merged].map(([key, value]) => `${key}=${value}`);
}

/** A device path of devices.paths: a device node, or a folder of them bound as a live tree. */
function deviceOf(source: string): ContainerConfig['devices'][number] {
  let kind: 'node' | 'tree' = 'node';
  try {
    if (lstatSync(source).isDirectory()) kind = 'tree';
  } catch {
    // the engine checked it exists; the sandbox names it if it vanished since
  }
  return { source, target: source, kind };
}

/** The main process: ENTRYPOINT + CMD, behind the proxy wrapper when the host file is bound. */
function mainArgv(image: ImageRunDefaults, withSecrets: boolean): string[] {
  const argv = [...(image.entrypoint ?? []), ...(image.cmd ?? [])];
  if (argv.length === 0) argv.push('/bin/sh');
  return withSecrets ? wrapWithSecrets(argv) : argv;
}

/**
 * The config of a new container `id` made from `spec` on `image`. `secretEnvFile` is the host file
 * with the proxy values (bound read-only where the wrapper reads it), or undefined.
 */
export function containerConfigOf(
  id: string,
  spec: RunSpec,
  image: ImageRunDefaults,
  secretEnvFile: string | undefined,
  now: Date,
): ContainerConfig {
  const mounts: ContainerMount[] = spec.mounts.map((mount) =>
    mount.type === 'bind'
      ? { type: 'bind', source: mount.source, target: mount.target, readonly: mount.readonly }
      : { type: 'volume', name: mount.name, target: mount.target, readonly: mount.readonly },
  );
  const withSecrets = secretEnvFile !== undefined && Object.keys(spec.secretEnv).length > 0;
  if (withSecrets)
    mounts.push({ type: 'bind', source: secretEnvFile, target: SECRET_ENV_TARGET, readonly: true });
  const x11 = spec.devices.x11;
  if (x11 !== undefined)
    mounts.push(
      { type: 'bind', source: x11.socketDir, target: '/tmp/.X11-unix', readonly: true },
      { type: 'bind', source: x11.cookieFile, target: x11.cookieTarget, readonly: true },
    );
  const devices: ContainerConfig['devices'] = [];
  if (spec.devices.usb) devices.push({ source: '/dev/bus/usb', target: '/dev/bus/usb', kind: 'tree' });
  if (spec.devices.gpu) devices.push({ source: '/dev/dri', target: '/dev/dri', kind: 'tree' });
  for (const device of spec.devices.paths) devices.push(deviceOf(device));
  const volumes = [
    ...new Set(mounts.flatMap((mount) => (mount.type === 'volume' ? [mount.name] : []))),
  ].sort();
  return {
    id,
    name: spec.name,
    created: now.toISOString(),
    image: spec.image,
    imageId: image.id,
    labels: { ...spec.labels },
    argv: mainArgv(image, withSecrets),
    env: containerEnv(image.env, spec.env),
    user: spec.user ?? image.user ?? '',
    workdir: spec.workdir ?? (image.workdir === undefined || image.workdir === '' ? '/' : image.workdir),
    hostname: spec.hostname,
    network: spec.network,
    ports: spec.network === 'private' ? [...spec.ports] : [],
    dns: [...spec.dns],
    mounts,
    volumes,
    devices,
    init: spec.init,
    privileged: spec.privileged,
    capabilities: [...(spec.privileged ? ALL_CAPABILITIES : DOCKER_CAPABILITIES)],
    stopSignal: spec.stopSignal ?? image.stopSignal ?? 'SIGTERM',
    autoRemove: !spec.persist,
  };
}
