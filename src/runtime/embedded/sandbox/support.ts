/**
 * Whether this machine can run a sandbox: root, the host tools, and a kernel that lets us make the
 * namespaces (a container without privileges, or a hardened kernel, may refuse them).
 */
import { execa } from 'execa';
import { findHostTools, HOST_PATH } from './host-tools.js';

/** `{ ok: true }`, or why not and what to do about it. */
export async function sandboxSupport(): Promise<{ ok: true } | { ok: false; reason: string; hint: string }> {
  if (process.platform !== 'linux')
    return {
      ok: false,
      reason: `the sandbox needs Linux (this is ${process.platform})`,
      hint: 'Use the Docker runtime.',
    };
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      reason:
        'building and running containers needs root for now (mounts, namespaces, switching users); without root the embedded runtime still pulls, pushes, lists, tags, saves and loads images',
      hint: 'Run devenv as root (sudo), or use --runtime docker.',
    };
  const tools = await findHostTools();
  const missing = (['unshare', 'nsenter', 'setpriv', 'env', 'bash'] as const).filter(
    (name) => tools[name] === undefined,
  );
  if (tools.unshare === undefined || missing.length > 0)
    return {
      ok: false,
      reason: `the sandbox needs ${missing.join(', ')}, not found in ${HOST_PATH}`,
      hint: 'Install util-linux 2.38 or later and coreutils.',
    };
  const probe = await execa(
    tools.unshare,
    ['--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--kill-child', '--', 'true'],
    { env: { PATH: HOST_PATH }, extendEnv: false, reject: false, timeout: 20_000 },
  );
  if (probe.exitCode !== 0)
    return {
      ok: false,
      reason: `this kernel refused new namespaces: ${probe.stderr.trim() || `exit ${probe.exitCode ?? '?'}`}`,
      hint: 'Run devenv on the host or in a privileged container, or use the Docker runtime.',
    };
  return { ok: true };
}
