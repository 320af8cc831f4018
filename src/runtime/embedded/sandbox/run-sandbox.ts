/**
 * Runs one program in a sandbox (docs/embedded-runtime.md#sandbox). Two host processes do it: the
 * holder (holder.ts) mounts the root in a private mount namespace; devenv reads the user and
 * prepares the mount targets through it (prepare-root.ts); then the runner enters that namespace,
 * makes its own mount, UTS, IPC, PID (and for network none, net) namespaces, runs the setup steps as
 * the new PID namespace's first process (setup-script.ts) and execs, through host `setpriv` and
 * `unshare --root`, the program, which becomes PID 1 of the sandbox.
 */
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { removeTree } from '../../../util/remove-tree.js';
import { overlayOptions } from '../layers/overlay-mount.js';
import { boundingSetArg, DOCKER_CAPABILITIES } from './capabilities.js';
import { startHolder } from './holder.js';
import { hostTools } from './host-tools.js';
import type { HostTools } from './host-tools.js';
import type { SandboxResult, SandboxSpec } from './index.js';
import { mountPlan, planArgs } from './mount-plan.js';
import { prepareRoot } from './prepare-root.js';
import type { PreparedRoot } from './prepare-root.js';
import { writeInitLayer, writeScratchFiles } from './scratch-files.js';
import { KILLED, runChain } from './runner.js';
import { SETUP_SCRIPT } from './setup-script.js';
import { checkSpec } from './check-spec.js';

/** The longest directory that holds every path, so overlay options can name them relative to it. */
function commonDir(paths: readonly string[]): string {
  const split = paths.map((p) => p.split('/'));
  const first = split[0] ?? [''];
  let n = 0;
  while (n < first.length && split.every((parts) => parts[n] === first[n])) n++;
  return first.slice(0, n).join('/') || '/';
}

/**
 * The program's command line after the setup: a clean environment, then the identity and the
 * capability bounding set (host setpriv), then the root change (host unshare, which also switches
 * the uid last, as it execs the program). Containers insert their init (tini) right before argv.
 */
function workloadCommand(
  tools: HostTools,
  spec: SandboxSpec,
  prepared: PreparedRoot,
  root: string,
): string[] {
  const { uid, gid, groups } = prepared.user;
  const env = spec.env.some((entry) => entry.startsWith('HOSTNAME='))
    ? spec.env
    : [...spec.env, `HOSTNAME=${spec.hostname}`];
  return [
    tools.env,
    '-i',
    '--',
    ...env,
    tools.setpriv,
    `--regid=${gid}`,
    groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups',
    '--inh-caps=-all',
    `--bounding-set=${boundingSetArg(spec.capabilities ?? DOCKER_CAPABILITIES, uid)}`,
    '--',
    tools.unshare,
    `--root=${root}`,
    `--wd=/${prepared.cwd}`,
    ...(uid === 0 ? [] : [`--setuid=${uid}`]),
    '--',
    ...spec.argv,
  ];
}

/** Runs `spec`; see {@link SandboxSpec}. The program's own exit status is the result, not an error. */
export async function runInSandbox(spec: SandboxSpec): Promise<SandboxResult> {
  const binds = await checkSpec(spec);
  const tools = await hostTools();
  if (spec.signal?.aborted === true) return KILLED;
  await mkdir(spec.scratchDir, { recursive: true, mode: 0o700 });
  try {
    const scratch = await writeScratchFiles(spec, spec.scratchDir);
    let root: string;
    let options = '';
    let cwd: string | undefined;
    if (spec.rootfs.kind === 'overlay') {
      root = path.join(await realpath(spec.scratchDir), 'root');
      await mkdir(root);
      const init = path.join(spec.scratchDir, 'init');
      await writeInitLayer(init);
      const overlay = {
        lowers: [init, ...spec.rootfs.lowers],
        upper: spec.rootfs.upper,
        work: spec.rootfs.work,
      };
      cwd = commonDir([...overlay.lowers, overlay.upper, overlay.work]);
      options = overlayOptions({ ...overlay, target: root }, cwd);
    } else root = await realpath(spec.rootfs.dir);
    const holder = await startHolder(tools, options, root, cwd);
    try {
      const prepared = prepareRoot({ root: holder.view(root), user: spec.user, cwd: spec.cwd, binds });
      const steps = mountPlan({ root, prepared, scratch, hostname: spec.hostname, network: spec.network });
      const runner = [
        tools.setpriv,
        '--pdeathsig',
        'KILL',
        '--',
        tools.nsenter,
        `--target=${holder.pid}`,
        '--mount',
        '--',
        tools.unshare,
        '--mount',
        '--propagation',
        'private',
        '--uts',
        '--ipc',
        ...(spec.network === 'none' ? ['--net'] : []),
        '--pid',
        '--kill-child',
        '--',
        tools.bash,
        '-c',
        SETUP_SCRIPT,
        'sh',
        ...planArgs(steps),
        '--',
        ...workloadCommand(tools, spec, prepared, root),
      ];
      return await runChain(runner, spec, (pid) => {
        holder.arm(pid);
      });
    } finally {
      await holder.close();
    }
  } finally {
    await removeTree(spec.scratchDir);
  }
}
