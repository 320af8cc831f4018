/**
 * The runner process of a sandbox and its three channels besides stdin and stdout: fd 2 carries the
 * host tools' own complaints (nsenter, unshare, the setup script), fd 3 is the control channel of
 * the setup script (setup-script.ts), and fd 4 becomes the program's stderr once the setup is done.
 * Keeping the tools' stderr apart means their errors reach the message of a failed start even when
 * the program's output goes straight to the terminal, and never mix into the program's output.
 */
import type { StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import type { Duplex, Readable } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { childProcess } from '../../../util/child-process.js';
import { HOST_PATH } from './host-tools.js';
import type { SandboxResult, SandboxSpec } from './index.js';

/** The result of a sandbox whose processes were killed with SIGKILL. */
export const KILLED: SandboxResult = { exitCode: 128 + constants.signals.SIGKILL, signal: 'SIGKILL' };

/**
 * What util-linux 2.38 `unshare --fork` prints when its child died of SIGKILL: it tries to re-raise
 * the signal on itself, cannot reset SIGKILL's handler, and exits 1 instead.
 */
const UNSHARE_KILLED = /^unshare: sigprocmask unblock failed/m;

/** Kills `pid` if it still exists. */
function kill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** What the caller does at the two moments of a start. */
export interface ChainHooks {
  /**
   * PID 1 exists (`pid` is its host pid) with its namespaces, and no setup step has run: the
   * program waits until this resolves. A rejection kills the sandbox and becomes `runChain`'s error.
   */
  onInit(pid: number): Promise<void>;
  /** The setup is done and the program starts now. */
  onReady(pid: number): void;
}

/**
 * Starts the runner `argv` and follows its control channel: `init <pid>` (run `onInit`, answer
 * `go`), `ready` (the program starts) or `fail <what>` with the tool's output. Returns the
 * program's result; throws `DEVENV_RUNTIME_FAILED` when the sandbox could not be set up. With `tty`
 * the runner is `script`, whose pty carries the program's stdout and stderr, and fd 4 carries the
 * tools' complaints like fd 2 (run-sandbox.ts swaps them).
 */
export async function runChain(
  argv: readonly string[],
  spec: SandboxSpec,
  tty: boolean,
  hooks: ChainHooks,
): Promise<SandboxResult> {
  const piped = spec.output !== 'inherit';
  const stdio: StdioOptions = tty
    ? ['pipe', piped ? 'pipe' : 'inherit', 'pipe', 'pipe', 'pipe']
    : [
        spec.stdin === undefined || spec.stdin === 'ignore' ? 'ignore' : 'pipe',
        piped ? 'pipe' : 'inherit',
        'pipe',
        'pipe',
        piped ? 'pipe' : 2,
      ];
  // script runs `$SHELL -c`; the host's sh, whatever the caller's shell is.
  const env = tty ? { PATH: HOST_PATH, SHELL: '/bin/sh' } : { PATH: HOST_PATH };
  const child = childProcess().spawn(argv[0] as string, argv.slice(1), { stdio, env });
  // Mutated by the event handlers below.
  const state: {
    initPid?: number;
    aborted: boolean;
    ready: boolean;
    failure?: string;
    initError?: Error;
  } = {
    aborted: false,
    ready: false,
  };
  const onAbort = () => {
    state.aborted = true;
    // The first process no longer has a parent-death signal once it changed its identity, so it is
    // killed by pid; killing the runner covers the time before it reported that pid.
    kill(state.initPid);
    kill(child.pid);
  };
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  // An abort while the root was being prepared fires no event any more.
  if (spec.signal?.aborted === true) onAbort();

  const pending: [(chunk: Buffer) => void, Buffer][] = [];
  if (spec.output !== 'inherit') {
    const forward = (to: (chunk: Buffer) => void) => (chunk: Buffer) => {
      if (state.ready) to(chunk);
      else pending.push([to, chunk]);
    };
    (child.stdio[1] as Readable).on('data', forward(spec.output.stdout));
    if (!tty) (child.stdio[4] as Readable).on('data', forward(spec.output.stderr));
  }
  let toolErrors = '';
  const keepErrors = (chunk: Buffer) => {
    toolErrors += chunk.toString();
  };
  child.stderr?.on('data', keepErrors);
  if (tty) (child.stdio[4] as Readable).on('data', keepErrors);
  if (child.stdin !== null) {
    child.stdin.on('error', () => undefined);
    // script answers the end of its input with ^D to the program, so with a pty the input stays
    // open until the program ends, whatever the caller's stream does.
    if (spec.stdin !== undefined && spec.stdin !== 'ignore') spec.stdin.pipe(child.stdin, { end: !tty });
  }

  const control = child.stdio[3] as Duplex;
  control.on('error', () => undefined);
  let text = '';
  control.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (;;) {
      const newline = text.indexOf('\n');
      if (newline < 0 || state.failure !== undefined) break;
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      const [word, rest = ''] = line.split('\t');
      if (word === 'init' && /^[0-9]+$/.test(rest)) {
        const pid = Number(rest);
        state.initPid = pid;
        // An abort before this line killed only the runner. The holder went with it, and the first
        // process, which reported its pid just now and waits for `go`, would wait for ever and keep
        // the pipes (and so this promise) open: kill it, and its PID namespace ends with it.
        if (state.aborted) {
          kill(pid);
          continue;
        }
        hooks.onInit(pid).then(
          () => {
            if (!state.aborted && state.initError === undefined) control.write('go\n');
          },
          (error: unknown) => {
            state.initError = error instanceof Error ? error : new Error(String(error));
            kill(pid);
            kill(child.pid);
          },
        );
      } else if (word === 'ready' && state.initPid !== undefined) {
        state.ready = true;
        hooks.onReady(state.initPid);
        for (const [to, chunk] of pending.splice(0)) to(chunk);
      } else if (word === 'fail') state.failure = rest;
    }
  });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('error', () => {
      resolve([null, null]);
    });
    child.once('close', (c, s) => {
      resolve([c, s]);
    });
  });
  spec.signal?.removeEventListener('abort', onAbort);
  if (state.initError !== undefined) throw state.initError;
  if (state.aborted) return KILLED;
  if (state.failure !== undefined)
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `sandbox setup failed while ${state.failure}: ${text.trim()}`,
      {
        hint: 'Run `devenv doctor` to check this host; the step and the tool output above say what was refused.',
      },
    );
  if (!state.ready)
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `the sandbox did not start (${signal ?? `exit ${code ?? '?'}`})${toolErrors.trim() === '' ? '' : `: ${toolErrors.trim()}`}`,
      {
        hint: 'Run `devenv doctor` to check that this host allows namespaces and has util-linux 2.38 or later.',
      },
    );
  if (signal !== null) return { exitCode: 128 + constants.signals[signal], signal };
  if (code === 1 && UNSHARE_KILLED.test(toolErrors)) return KILLED;
  return { exitCode: code ?? 1 };
}
