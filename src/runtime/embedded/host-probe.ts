/**
 * The probes behind the embedded part of `devenv doctor`: read /proc, look tools up on PATH and ask
 * them their version, try `unshare` for mount and user namespaces, and mount a scratch overlay
 * where the store lives. Each probe is one short process with a timeout; none throws.
 */
import { readFile } from '../../util/fs-async.js';
import { execa } from 'execa';
import { overlaySupported } from './layers/index.js';
import { recordedLayerMode } from './layer-mode.js';
import { TOOLS } from './host-check.js';
import { findOnPath } from './sandbox/find-on-path.js';
import type { EmbeddedHostFacts, FoundTool } from './host-check.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What the probes need to know. */
export interface HostProbeInput {
  env: Env;
  uid: number;
  /** Node's `process.platform`. */
  platform: string;
  /** Where to mount the probe overlay: the store's filesystem (its `tmp/`), else a temp dir. */
  probeDir: string;
  /** The store root, when it exists, for its recorded layer mode. */
  storeRoot: string | undefined;
}

async function readTrimmed(file: string): Promise<string | undefined> {
  return (await readFile(file, 'utf8').catch(() => undefined))?.trim();
}

export { findOnPath };

async function succeeds(file: string, args: string[], env: Env): Promise<boolean> {
  const result = await execa(file, args, { env, extendEnv: false, reject: false, timeout: 10_000 });
  return result.exitCode === 0;
}

async function findTool(name: string, env: Env): Promise<FoundTool | undefined> {
  const found = await findOnPath(name, env);
  if (found === undefined) return undefined;
  const result = await execa(found, ['--version'], { env, extendEnv: false, reject: false, timeout: 10_000 });
  const text = `${result.stdout}\n${result.stderr}`.trim().split('\n')[0] ?? '';
  return { path: found, versionText: text };
}

/** Runs every probe; see the module comment. */
export async function probeEmbeddedHost(input: HostProbeInput): Promise<EmbeddedHostFacts> {
  const { env, uid } = input;
  const tools = Object.fromEntries(
    await Promise.all(TOOLS.map(async (t) => [t.name, await findTool(t.name, env)] as const)),
  );
  const unshare = tools['unshare']?.path;
  const userns =
    unshare !== undefined && (await succeeds(unshare, ['--user', '--map-root-user', 'true'], env));
  const mountArgs = uid === 0 ? ['--mount', 'true'] : ['--user', '--map-root-user', '--mount', 'true'];
  return {
    platform: input.platform,
    kernel: await readTrimmed('/proc/sys/kernel/osrelease'),
    uid,
    overlayInKernel: /\boverlay$/m.test((await readTrimmed('/proc/filesystems')) ?? ''),
    overlayProbe: { dir: input.probeDir, works: await overlaySupported(input.probeDir) },
    layerMode:
      input.storeRoot === undefined
        ? undefined
        : await recordedLayerMode(input.storeRoot).catch(() => undefined),
    mountNamespaces: unshare !== undefined && (await succeeds(unshare, mountArgs, env)),
    userNamespaces: userns,
    unprivilegedUsernsClone: await readTrimmed('/proc/sys/kernel/unprivileged_userns_clone'),
    maxUserNamespaces: await readTrimmed('/proc/sys/user/max_user_namespaces'),
    tools,
    tini: {
      static: (await findOnPath('tini-static', env)) !== undefined,
      plain: (await findOnPath('tini', env)) !== undefined,
    },
  };
}
