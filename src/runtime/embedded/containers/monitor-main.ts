/**
 * Entry point of a container's monitor process (monitor.ts): `node monitor-main.js STORE_ROOT ID`.
 * The command that starts it reads one line from fd 3 (`ready`, or `fail` and the error as JSON)
 * and then lets it go; from then on its output goes to the container's monitor.log only.
 */
import { createWriteStream } from 'node:fs';
import { DevenvError } from '../../../errors.js';
import { closeInheritedDescriptors } from '../../../util/inherited-fds.js';
import { layerUnpacker } from '../layer-mode.js';
import { openStore } from '../store/index.js';
import { runMonitor } from './monitor.js';
import type { MonitorReport } from './monitor.js';

const [root, id] = process.argv.slice(2);
// `ps` shows which store and container a monitor serves (tests find their leftovers by it).
process.title = `devenv-monitor ${root ?? ''} ${id ?? ''}`;
// Neither the terminal nor the user's ctrl-c reach a detached session, but be explicit.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.on('SIGPIPE', () => undefined);

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
