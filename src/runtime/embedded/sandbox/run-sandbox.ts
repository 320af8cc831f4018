/**
 * Starts one program in a sandbox (docs/embedded-runtime.md#sandbox). Two host processes do it: the
 * holder (holder.ts) mounts the root in a private mount namespace; devenv reads the user and
 * prepares the mount targets through it (prepare-root.ts); then the runner enters that namespace,
 * makes its own mount, UTS, IPC, PID (and for network none or private, net) namespaces, runs the
 * setup steps as the new PID namespace's first process (setup-script.ts) and execs, through host
 * `setpriv` and `unshare --root`, the program (or tini in front of it), which becomes PID 1 of the
 * sandbox. With a tty, util-linux `script` runs the whole runner on a fresh pty.
 */
import { mkdir, readlink, realpath } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { execa } from 'execa';
import { DevenvError } from '../../../errors.js';
import { shellJoin } from '../../../plan/quote.js';
import { removeTree } from '../../../util/remove-tree.js';
import { overlayOptions } from '../layers/overlay-mount.js';
import { boundingSetArg, DOCKER_CAPABILITIES } from './capabilities.js';
import { startHolder } from './holder.js';
import { checkDevices, checkHostDefaults, privilegedDevices } from './devices.js';
import { hostTools, optionalTool } from './host-tools.js';
import type { HostTools } from './host-tools.js';
import type { RunningSandbox, SandboxResult, SandboxSpec } from './index.js';
import { hostMasks } from './masks.js';
import { mountPlan, planArgs } from './mount-plan.js';
import { prepareRoot } from './prepare-root.js';
import type { PreparedRoot } from './prepare-root.js';
import { writeInitLayer, writeScratchFiles } from './scratch-files.js';
import { KILLED, runChain } from './runner.js';
import { SETUP_SCRIPT } from './setup-script.js';
import { toolboxEnvCommand, toolboxFiles } from './toolbox.js';
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
 * the uid last, as it execs the program, or tini at /dev/init in front of it).
 */
function workloadCommand(tools: HostTools, spec: SandboxSpec, prepared: PreparedRoot): string[] {
  const { uid, gid, groups } = prepared.user;
  const env = spec.env.some((entry) => entry.startsWith('HOSTNAME='))
    ? spec.env
    : [...spec.env, `HOSTNAME=${spec.hostname}`];
  // -s: tini reaps as a subreaper too should it ever not be PID 1; -g: signals go to the whole group.
  const argv = spec.init === true ? ['/dev/init', '-s', '-g', '--', ...spec.argv] : spec.argv;
  // With the toolbox, the host tools run with an empty environment and the toolbox's env sets the
  // program's inside the root (toolbox.ts); without it, the environment has no LD_ variable.
  const boxed = usesToolbox(spec);
  return [
    tools.env,
    '-i',
    '--',
    ...(boxed ? [] : env),
    tools.setpriv,
    `--regid=${gid}`,
    groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups',
    '--inh-caps=-all',
    `--bounding-set=${spec.privileged === true ? '+all' : boundingSetArg(spec.capabilities ?? DOCKER_CAPABILITIES, uid)}`,
    '--',
    tools.unshare,
    // The setup's last step moved the root over / and left this process's cwd in it.
    '--root=.',
    `--wd=/${prepared.cwd}`,
    ...(uid === 0 ? [] : [`--setuid=${uid}`]),
    '--',
    ...(boxed ? toolboxEnvCommand(env) : []),
    ...argv,
  ];
}

/**
 * Whether the sandbox mounts the toolbox: when asked (containers, for exec), and whenever the
 * environment names a loader variable, which the host tools must never see (the image could point
 * them at a library of its choosing while they hold every capability).
 */
function usesToolbox(spec: SandboxSpec): boolean {
  return spec.toolbox === true || spec.env.some((entry) => entry.startsWith('LD_'));
}

/**
 * The runner wrapped in `script`, which makes a pty and runs `$SHELL -c CMD` (the host's sh) on it.
 * script passes its other descriptors on, so the control channel (fd 3) still works; the shell
 * swaps fd 2 and 4 so that the tools complain on the pipe devenv reads (fd 2) and the program's
 * stderr (fd 4, see setup-script.ts) is the pty, merged with stdout as on Docker with -t.
 */
function ttyWrap(script: string, runner: readonly string[]): string[] {
  return [
    script,
    '-q',
    '-f',
    '-e',
    '-E',
    'always',
    '-c',
    `exec 5>&4 4>&2 2>&5 5>&- ${shellJoin(runner)}`,
    '/dev/null',
  ];
}

/** `stty -F tty rows R cols C`, failing as `DEVENV_RUNTIME_FAILED`. */
async function setSize(stty: string, tty: string, rows: number, cols: number): Promise<void> {
  if (
    !Number.isInteger(rows) ||
    !Number.isInteger(cols) ||
    rows < 0 ||
    cols < 0 ||
    rows > 0xffff ||
    cols > 0xffff
  )
    throw new Error(`sandbox: a terminal size of ${rows}x${cols} is not valid`);
  const result = await execa(stty, ['-F', tty, 'rows', String(rows), 'cols', String(cols)], {
    reject: false,
    extendEnv: false,
    env: {},
  });
  if (result.exitCode !== 0)
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `could not set the size of the terminal ${tty}: ${result.stderr.trim()}`,
      {
        hint: 'The sandbox may have ended; start it again.',
      },
    );
}

/** What the start learned once the program runs. */
interface Started {
  pid: number;
  root: string;
  user: RunningSandbox['user'];
  tty: string | undefined;
  stty: string | undefined;
}

/**
 * The whole life of a sandbox: set up, run, clean up. `onStart` is called once the program runs;
 * a failure before that is thrown, after it the result is the program's.
 */
async function runSandbox(spec: SandboxSpec, onStart: (started: Started) => void): Promise<SandboxResult> {
  const binds = await checkSpec(spec);
  const named = checkDevices(spec.devices ?? []);
  checkHostDefaults();
  const devices = spec.privileged === true ? [...named, ...privilegedDevices(named)] : named;
  const tools = await hostTools();
  const init = spec.init === true ? await optionalTool('tini-static', 'a sandbox with an init') : undefined;
  const tty = spec.tty;
  const script = tty === undefined ? undefined : await optionalTool('script', 'a sandbox with a terminal');
  const stty = tty === undefined ? undefined : await optionalTool('stty', 'a sandbox with a terminal');
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
      const initLayer = path.join(spec.scratchDir, 'init');
      await writeInitLayer(initLayer);
      const overlay = {
        lowers: [initLayer, ...spec.rootfs.lowers],
        upper: spec.rootfs.upper,
        work: spec.rootfs.work,
      };
      cwd = commonDir([...overlay.lowers, overlay.upper, overlay.work]);
      options = overlayOptions({ ...overlay, target: root }, cwd);
    } else root = await realpath(spec.rootfs.dir);
    const holder = await startHolder(tools, options, root, cwd);
    try {
      const prepared = prepareRoot({ root: holder.view(root), user: spec.user, cwd: spec.cwd, binds });
      const steps = mountPlan({
        root,
        prepared,
        scratch,
        hostname: spec.hostname,
        network: spec.network,
        privileged: spec.privileged === true,
        masks: hostMasks(),
        devices,
        init,
        tty: tty !== undefined,
        toolbox: usesToolbox(spec) ? await toolboxFiles(tools) : [],
      });
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
        ...(spec.network === 'host' ? [] : ['--net']),
        '--pid',
        '--kill-child',
        '--',
        tools.bash,
        '-c',
        SETUP_SCRIPT,
        'sh',
        path.join(spec.scratchDir, 'setup-output'),
        path.join(spec.scratchDir, 'setup-fstab'),
        ...planArgs(steps),
        '--',
        ...workloadCommand(tools, spec, prepared),
      ];
      let slave: string | undefined;
      return await runChain(
        script === undefined ? runner : ttyWrap(script, runner),
        spec,
        tty !== undefined,
        {
          onInit: async (pid) => {
            holder.arm(pid);
            if (tty !== undefined && stty !== undefined) {
              // PID 1 is still devenv's setup shell. Its fd 4 (the program's stderr to be) is the pty
              // script made, and no redirection touches it: fds 0 and 1 are switched to the control
              // channel for a moment around each `>&3` and `<&3`, so reading them races the shell.
              slave = await readlink(`/proc/${pid}/fd/4`);
              if (!slave.startsWith('/dev/pts/'))
                throw new Error(`sandbox: the terminal of the setup is ${slave}, not a pty`);
              await setSize(stty, slave, tty.rows, tty.cols);
            }
            await spec.beforeStart?.(pid);
          },
          onReady: (pid) => {
            onStart({ pid, root, user: prepared.user, tty: slave, stty });
          },
        },
      );
    } finally {
      await holder.close();
    }
  } finally {
    await removeTree(spec.scratchDir);
  }
}

/** Runs `spec` to its end; see {@link SandboxSpec}. The program's own exit status is the result, not an error. */
export async function runInSandbox(spec: SandboxSpec): Promise<SandboxResult> {
  return runSandbox(spec, () => undefined);
}

/**
 * Starts `spec` and resolves once the program runs; rejects (a `DevenvError` for what the user or
 * the host can fix) when the setup failed, `beforeStart` rejected, or `spec.signal` aborted first.
 */
export async function startSandbox(spec: SandboxSpec): Promise<RunningSandbox> {
  return new Promise<RunningSandbox>((resolve, reject) => {
    let started = false;
    let ended = false;
    let finish: (result: SandboxResult) => void = () => undefined;
    const done = new Promise<SandboxResult>((resolveDone) => {
      finish = resolveDone;
    });
    runSandbox(spec, (info) => {
      started = true;
      resolve({
        pid: info.pid,
        root: info.root,
        user: { uid: info.user.uid, gid: info.user.gid, groups: [...info.user.groups] },
        done,
        kill: (signal) => {
          if (ended) return;
          try {
            process.kill(info.pid, signal);
          } catch {
            // already gone
          }
        },
        resize: async (rows, cols) => {
          if (info.tty === undefined || info.stty === undefined)
            throw new Error('sandbox: resize of a sandbox without a terminal');
          if (!ended) await setSize(info.stty, info.tty, rows, cols);
        },
      });
    }).then(
      (result) => {
        ended = true;
        if (started) finish(result);
        else
          reject(
            new DevenvError('DEVENV_ABORTED', 'the sandbox was stopped before its program started', {
              hint: 'Start it again.',
            }),
          );
      },
      (error: unknown) => {
        ended = true;
        // Setup errors only happen before the start; after it, runChain returns the program's status.
        if (started) finish({ exitCode: 125 });
        else reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
