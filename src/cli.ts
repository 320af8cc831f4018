/**
 * The CLI's entry. Reads the ambient facts (argv, cwd, env, home, user, streams) once and hands
 * them to {@link main}; nothing below this file reads them itself. It is bundled twice, into
 * `dist/chunks/cli.cjs` and `dist/chunks/cli.js`, and started by the launcher (launch.ts).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { main } from './main.js';
import { startLean } from './util/optimizer.js';
import { configureFailpoints } from './util/failpoint.js';
import { INTERRUPT_SIGNALS, InterruptedError, signalExitStatus } from './util/interrupt.js';
import type { InterruptSignal } from './util/interrupt.js';

startLean();
// Both bundles of this file sit in dist/chunks/.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const info = os.userInfo();
configureFailpoints(process.env['DEVENV_FAILPOINTS']);
// chalk (under Ink, in the TUI) ignores NO_COLOR; FORCE_COLOR=0 is what it reads, before it loads.
if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') process.env['FORCE_COLOR'] = '0';

// The first signal cancels the work through one AbortSignal, so every `finally` cleanup (temporary
// images, partial files, build folders) still runs and main reports the interruption; a second one
// while those cleanups run means "leave now". Keys typed while a container owns the terminal in raw
// mode (attach, exec -it) never become signals, so ctrl-c there still reaches the container.
const interrupt = new AbortController();
const onSignal = (signal: InterruptSignal): void => {
  if (interrupt.signal.aborted) process.exit(signalExitStatus(signal));
  interrupt.abort(new InterruptedError(signal));
};
for (const signal of INTERRUPT_SIGNALS) process.on(signal, onSignal);

// No top-level await: the CommonJS bundle has none.
void main({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: process.env,
  homeDir: os.homedir(),
  hostUser: { name: info.username, uid: info.uid, gid: info.gid },
  arch: process.arch,
  platform: process.platform,
  // Node makes process.stdin on its first read; a command that only hands the descriptor to a child
  // (exec) never reads it.
  get stdin() {
    return process.stdin;
  },
  stdinFd: 0,
  stdout: process.stdout,
  stderr: process.stderr,
  version: pkg.version,
  signal: interrupt.signal,
}).then((status) => {
  for (const signal of INTERRUPT_SIGNALS) process.off(signal, onSignal);
  process.exitCode = status;
  // Once nothing is left to run (no write in flight, no child, no timer), leave through exit():
  // the 'exit' listeners run as they would, and Node skips tearing down the heap page by page,
  // which a natural end does (~4 ms of a warm `exec`; docs/hot-paths.md).
  process.once('beforeExit', () => process.exit());
});
