/**
 * Whether this machine can run a sandbox: root, the host tools, and a kernel that lets us make the
 * namespaces (a container without privileges, or a hardened kernel, may refuse them).
 */
import { childProcess } from '../../../util/child-process.js';
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
  // node's execFile, not execa: this probe runs whenever `auto` looks at this host (ls, the TUI),
  // and execa's hundred modules cost more than the probe.
  const probe = await new Promise<{ exitCode: number | undefined; stderr: string }>((resolve) => {
    childProcess().execFile(
      tools.unshare as string,
      ['--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--kill-child', '--', 'true'],
      { env: { PATH: HOST_PATH }, timeout: 20_000, encoding: 'utf8' },
      (error, _stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        resolve({ exitCode: code, stderr: error !== null && error.killed ? 'timed out after 20 s' : stderr });
      },
    );
  });
  if (probe.exitCode !== 0)
    return {
      ok: false,
      reason: `this kernel refused new namespaces: ${probe.stderr.trim() || `exit ${probe.exitCode ?? '?'}`}`,
      hint: 'Run devenv on the host or in a privileged container, or use the Docker runtime.',
    };
  return { ok: true };
}
