/**
 * Entry point of a container's monitor process (monitor.ts): `node monitor-main.js STORE_ROOT ID`, or
 * through the launcher (monitor-command.ts).
 * The command that starts it reads one line from fd 3 (`ready`, or `fail` and the error as JSON)
 * and then lets it go; from then on its output goes to the container's monitor.log only.
 */
import { createWriteStream } from 'node:fs';
import { DevenvError } from '../../../errors.js';
import { writeCodeCacheNow } from '../../../util/code-cache.js';
import { closeInheritedDescriptors, isChannel } from '../../../util/inherited-fds.js';
import { startLean } from '../../../util/optimizer.js';
import { layerUnpacker } from '../layer-mode.js';
import { openStore } from '../store/index.js';
import { runMonitor } from './monitor.js';
import type { MonitorReport } from './monitor.js';

// As the CLI: the optimizer waits for work that needs it (the launcher compiled this file without).
startLean();
const [root, id] = process.argv.slice(2);
// `ps` shows which store and container a monitor serves (tests find their leftovers by it).
process.title = `devenv-monitor ${root ?? ''} ${id ?? ''}`;
// Neither the terminal nor the user's ctrl-c reach a detached session, but be explicit.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.on('SIGPIPE', () => undefined);

// Run by hand without the report channel, descriptor 3 would be one of Node's own (or nothing).
if (!isChannel(3)) {
  process.stderr.write(
    'devenv-monitor: devenv starts the monitor and reads its report on descriptor 3, which this run was not given\n',
  );
  process.exit(2);
}
// Whatever the starting command inherited stays out of the monitor and everything it starts.
closeInheritedDescriptors([3]);
const channel = createWriteStream('', { fd: 3 });
channel.on('error', () => undefined);
let reported = false;
function report(result: MonitorReport): void {
  if (reported) return;
  reported = true;
  const line = result.ready
    ? 'ready\n'
    : `fail\t${JSON.stringify({ code: result.error.code, message: result.error.message, hint: result.error.hint })}\n`;
  channel.end(line);
  // The start is done: what it compiled is the code cache of the next start (src/launch.ts).
  if (result.ready) writeCodeCacheNow();
}

async function main(): Promise<void> {
  if (root === undefined || id === undefined) throw new Error('usage: monitor-main STORE_ROOT ID');
  const store = await openStore({ root, unpack: layerUnpacker(root), recover: false });
  // A second entry point, like cli.ts: the environment is read here and passed down.
  // eslint-disable-next-line no-restricted-properties
  await runMonitor(store, id, process.env, report);
}

main().then(
  () => {
    process.exit(0);
  },
  (error: unknown) => {
    const failure =
      error instanceof DevenvError
        ? error
        : new DevenvError(
            'DEVENV_RUNTIME_FAILED',
            error instanceof Error ? (error.stack ?? error.message) : String(error),
          );
    process.stderr.write(`${failure.message}\n`);
    report({ ready: false, error: failure });
    process.exitCode = 1;
  },
);
