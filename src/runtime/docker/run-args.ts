/**
 * RunSpec → `docker` argv. Pure: the same function feeds the Docker runtime, `devenv plan --run-args`
 * and the exported run.sh. Every value is its own argv element; nothing goes through a shell.
 */
import { LABELS } from '../../plan/compile-plan.js';
import { SECRET_ENV_TARGET, SECRET_ENV_WRAPPER, wrapWithSecrets } from '../../plan/secrets.js';
import { jsonArray } from '../../plan/dockerfile.js';
import type { RunSpec } from '../../plan/types.js';

export { SECRET_ENV_TARGET, SECRET_ENV_WRAPPER };

/** Device cgroup rule for USB devices (char major 189), so /dev/bus/usb works without --privileged. */
export const USB_CGROUP_RULE = 'c 189:* rmw';

/** How proxy values reach the container's processes. */
export type SecretMode =
  /** A host file mounted read-only and sourced by a wrapper: nothing in the container config. */
  | { mode: 'file'; hostFile: string }
  /** `--env NAME` without a value: docker copies it from the caller's environment (run.sh). */
  | { mode: 'passthrough' };

/** The image's own ENTRYPOINT and CMD, needed to put the wrapper in front of them. */
export interface ImageCommand {
  entrypoint: readonly string[] | null;
  cmd: readonly string[] | null;
}

/**
 * One `--mount` value. A volume docker creates for the mount carries the environment's name as a
 * label, so `rm --volumes` finds it after the container is gone.
 */
function mountArg(mount: RunSpec['mounts'][number], owner: string | undefined): string {
  const parts =
    mount.type === 'bind'
      ? ['type=bind', `source=${mount.source}`, `target=${mount.target}`]
      : ['type=volume', `source=${mount.name}`, `target=${mount.target}`];
  if (mount.type === 'volume' && owner !== undefined) parts.push(`volume-label=${LABELS.name}=${owner}`);
  if (mount.readonly) parts.push('readonly');
  return parts.join(',');
}

/** Flags shared by `docker create` and `docker run` (everything between the verb and the image). */
export function containerFlags(spec: RunSpec, secrets: SecretMode): string[] {
  const args: string[] = ['--name', spec.name, '--hostname', spec.hostname];
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`);
  args.push('--interactive', '--tty');
  if (spec.init) args.push('--init');
  if (spec.stopSignal !== undefined) args.push('--stop-signal', spec.stopSignal);
  if (!spec.persist) args.push('--rm');
  if (spec.user !== undefined) args.push('--user', spec.user);
  if (spec.workdir !== undefined) args.push('--workdir', spec.workdir);
  for (const [key, value] of Object.entries(spec.env)) args.push('--env', `${key}=${value}`);
  // A throwaway `run` container is labelled as run-of its environment, and shares its volumes.
  const owner = spec.labels[LABELS.name] ?? spec.labels[LABELS.runOf];
  for (const mount of spec.mounts) args.push('--mount', mountArg(mount, owner));
  const secretNames = Object.keys(spec.secretEnv);
  if (secretNames.length > 0) {
    if (secrets.mode === 'file')
      args.push('--mount', `type=bind,source=${secrets.hostFile},target=${SECRET_ENV_TARGET},readonly`);
    else for (const name of secretNames) args.push('--env', name);
  }
  if (spec.devices.usb)
    args.push(
      '--mount',
      'type=bind,source=/dev/bus/usb,target=/dev/bus/usb',
      '--device-cgroup-rule',
      USB_CGROUP_RULE,
    );
  const x11 = spec.devices.x11;
  if (x11 !== undefined) {
    args.push('--mount', `type=bind,source=${x11.socketDir},target=/tmp/.X11-unix,readonly`);
    args.push('--mount', `type=bind,source=${x11.cookieFile},target=${x11.cookieTarget},readonly`);
  }
  if (spec.devices.gpu) args.push('--gpus', 'all');
  for (const device of spec.devices.paths) args.push('--device', device);
  if (spec.privileged) args.push('--privileged');
  args.push('--network', spec.network === 'private' ? 'bridge' : spec.network);
  if (spec.network === 'private') for (const port of spec.ports) args.push('--publish', port);
  for (const server of spec.dns) args.push('--dns', server);
  return args;
}

/**
 * `docker create …` for the environment's container. With secrets in file mode the secret-env
 * wrapper goes in front of the main command: as the CMD when the image has no ENTRYPOINT, else as the
 * entrypoint. Either way a commit can restore the image's own ENTRYPOINT and CMD, because docker
 * commit can replace them but never clear them.
 */
export function toCreateArgs(spec: RunSpec, secrets: SecretMode, image: ImageCommand): string[] {
  const args = ['create', ...containerFlags(spec, secrets)];
  const entrypoint = image.entrypoint ?? [];
  const cmd = image.cmd ?? [];
  if (
    secrets.mode !== 'file' ||
    Object.keys(spec.secretEnv).length === 0 ||
    (entrypoint.length > 0 && cmd.length === 0)
  ) {
    args.push(spec.image);
  } else if (entrypoint.length === 0) {
    args.push(spec.image, ...wrapWithSecrets(cmd));
  } else {
    const [shell = '/bin/sh', ...rest] = wrapWithSecrets([...entrypoint, ...cmd]);
    args.push('--entrypoint', shell, spec.image, ...rest);
  }
  return args;
}

/** `--change` instructions that give a committed image back the ENTRYPOINT and CMD of `image`. */
export function restoreCommandChanges(image: ImageCommand): string[] {
  const changes: string[] = [];
  if (image.entrypoint !== null && image.entrypoint.length > 0)
    changes.push(`ENTRYPOINT ${jsonArray(image.entrypoint)}`);
  if (image.cmd !== null && image.cmd.length > 0) changes.push(`CMD ${jsonArray(image.cmd)}`);
  return changes;
}

/** The equivalent one-line `docker run …`, as `devenv plan --run-args` shows it. */
export function toRunArgs(spec: RunSpec): string[] {
  return ['run', ...containerFlags(spec, { mode: 'passthrough' }), spec.image];
}

/** Options of one `docker exec`. */
export interface ExecOptions {
  interactive: boolean;
  tty: boolean;
  user?: string | undefined;
  workdir?: string | undefined;
  /** Names of variables docker copies from the caller's environment (the proxy). */
  passEnv?: readonly string[] | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  detachKeys?: string | undefined;
}

/** `docker exec …` argv for a command in a running container. */
export function toExecArgs(container: string, command: readonly string[], options: ExecOptions): string[] {
  const args = ['exec'];
  if (options.interactive) args.push('--interactive');
  if (options.tty) args.push('--tty');
  if (options.user !== undefined) args.push('--user', options.user);
  if (options.workdir !== undefined) args.push('--workdir', options.workdir);
  for (const name of options.passEnv ?? []) args.push('--env', name);
  for (const [key, value] of Object.entries(options.env ?? {})) args.push('--env', `${key}=${value}`);
  if (options.detachKeys !== undefined) args.push('--detach-keys', options.detachKeys);
  args.push(container, ...command);
  return args;
}
