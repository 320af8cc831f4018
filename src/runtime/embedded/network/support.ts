/**
 * Whether a private network can be made here: Linux, a slirp4netns recent enough for what devenv
 * asks of it, and the tun device it creates `tap0` with.
 */
import { stat } from '../../../util/fs-async.js';
import { execa } from 'execa';
import { DevenvError } from '../../../errors.js';
import { findOnPath } from '../host-probe.js';
import { HOST_PATH } from '../sandbox/host-tools.js';

const INSTALL = 'Install slirp4netns (apt install slirp4netns), or use network: host or none.';
/** `--enable-sandbox`, `--enable-seccomp` and `--ready-fd` after the API socket listens need 0.4. */
const MINIMUM = [0, 4] as const;

/** The path of slirp4netns in the system directories, or `DEVENV_RUNTIME_MISSING`. */
export async function slirpBinary(): Promise<string> {
  const found = await findOnPath('slirp4netns', { PATH: HOST_PATH });
  if (found === undefined)
    throw new DevenvError(
      'DEVENV_RUNTIME_MISSING',
      `network: private needs slirp4netns, not found in ${HOST_PATH}`,
      {
        hint: INSTALL,
      },
    );
  return found;
}

/** `[major, minor]` from `slirp4netns version 1.2.0`. */
export function slirpVersion(text: string): [number, number] | undefined {
  const match = /slirp4netns version (\d+)\.(\d+)/.exec(text);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

/**
 * Whether slirp4netns is usable here; `{ ok: false, reason, hint }` otherwise, for `doctor` and for a
 * clear error when a container on the private network is created.
 */
export async function privateNetworkSupport(): Promise<
  { ok: true } | { ok: false; reason: string; hint: string }
> {
  if (process.platform !== 'linux')
    return {
      ok: false,
      reason: `the private network needs Linux (this is ${process.platform})`,
      hint: 'Use the Docker runtime.',
    };
  const binary = await findOnPath('slirp4netns', { PATH: HOST_PATH });
  if (binary === undefined)
    return { ok: false, reason: `slirp4netns is not installed (looked in ${HOST_PATH})`, hint: INSTALL };
  const result = await execa(binary, ['--version'], {
    env: {},
    extendEnv: false,
    reject: false,
    timeout: 10_000,
  });
  const version = slirpVersion(result.stdout);
  if (result.exitCode !== 0 || version === undefined)
    return {
      ok: false,
      reason: `${binary} --version failed: ${(result.stderr || result.stdout).trim().slice(0, 200) || `exit ${result.exitCode ?? '?'}`}`,
      hint: INSTALL,
    };
  if (version[0] < MINIMUM[0] || (version[0] === MINIMUM[0] && version[1] < MINIMUM[1]))
    return {
      ok: false,
      reason: `slirp4netns ${version.join('.')} is too old; devenv needs ${MINIMUM.join('.')} or later`,
      hint: 'Upgrade slirp4netns (Debian 11 and later ship 1.0 or newer).',
    };
  const tun = await stat('/dev/net/tun').catch(() => undefined);
  if (tun?.isCharacterDevice() !== true)
    return {
      ok: false,
      reason: "there is no /dev/net/tun, which slirp4netns needs for the container's network device",
      hint: 'Load the tun module (modprobe tun); in a container, pass --device /dev/net/tun.',
    };
  return { ok: true };
}
