/**
 * Checks a {@link SandboxSpec} before anything is started: values that come from the user's config
 * (argv, environment, working directory, hostname, binds) get a `DEVENV_CONFIG_INVALID` naming
 * them; paths the caller computed are bugs when wrong.
 */
import { realpath, stat } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import type { SandboxSpec } from './index.js';

/** A bind with its source resolved on the host. */
export interface CheckedBind {
  source: string;
  target: string;
  readonly: boolean;
  isDir: boolean;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/;

function config(message: string, hint: string): DevenvError {
  return new DevenvError('DEVENV_CONFIG_INVALID', message, { hint });
}

function inside(child: string, dir: string): boolean {
  const rel = path.relative(dir, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Validates `spec`; returns its binds with real host sources. */
export async function checkSpec(spec: SandboxSpec): Promise<CheckedBind[]> {
  if (spec.argv.length === 0 || spec.argv[0] === '')
    throw config('the command to run is empty', 'Give a program to run (RUN, CMD or ENTRYPOINT).');
  for (const word of [...spec.argv, ...spec.env, spec.cwd, spec.user])
    if (word.includes('\0'))
      throw config(`"${word.replace(/\0/g, '\\0')}" contains a NUL byte`, 'Remove it.');
  for (const entry of spec.env)
    if (entry.indexOf('=') < 1)
      throw config(
        `environment entry "${entry}" is not NAME=value`,
        'Give every variable a name and a value.',
      );
  if (!spec.cwd.startsWith('/'))
    throw config(
      `the working directory "${spec.cwd}" is not absolute`,
      'Use an absolute WORKDIR such as /work.',
    );
  if (!HOSTNAME.test(spec.hostname))
    throw config(
      `the hostname "${spec.hostname}" is not valid`,
      'Use letters, digits, dots and dashes, at most 64 characters.',
    );
  const own =
    spec.rootfs.kind === 'dir'
      ? [spec.rootfs.dir]
      : [...spec.rootfs.lowers, spec.rootfs.upper, spec.rootfs.work];
  if (spec.rootfs.kind === 'overlay' && spec.rootfs.lowers.length === 0)
    throw new Error('runInSandbox: an overlay root needs at least one lower dir');
  for (const dir of [...own, spec.scratchDir])
    if (!path.isAbsolute(dir)) throw new Error(`runInSandbox: ${dir} is not absolute`);
  for (const dir of own)
    if (inside(dir, spec.scratchDir) || inside(spec.scratchDir, dir))
      throw new Error(`runInSandbox: the scratch dir ${spec.scratchDir} and ${dir} overlap`);
  const binds: CheckedBind[] = [];
  for (const bind of spec.binds ?? []) {
    if (!bind.target.startsWith('/'))
      throw config(
        `the mount target "${bind.target}" is not absolute`,
        'Use an absolute path inside the container.',
      );
    const source = await realpath(bind.source).catch(() => undefined);
    if (source === undefined)
      throw config(`the mount source ${bind.source} does not exist`, 'Create it, or fix the path.');
    binds.push({
      source,
      target: bind.target,
      readonly: bind.readonly,
      isDir: (await stat(source)).isDirectory(),
    });
  }
  return binds;
}
