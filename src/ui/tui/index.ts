/**
 * The TUI's entry point. Loaded with a dynamic `import()` by `devenv tui` (and plain `devenv` on a
 * terminal), so Ink and React load only when the TUI opens. It owns the terminal while it runs: the
 * alternate screen, raw mode and the cursor are given back on every way out.
 */
import { render } from 'ink';
import type { Instance } from 'ink';
import { createElement } from 'react';
import { Controller } from './controller.js';
import { isRunning } from './model.js';
import type { TuiEngine } from './engine-port.js';
import { spawnInherit, terminalHandover } from './handover.js';
import type { Spawner, TerminalScreen } from './handover.js';
import { App } from './screen.js';
import { noWatch, pollChanges } from './sources.js';
import type { ChangeSource, WatchSource } from './sources.js';
import { createStore, initialState } from './store.js';
import type { Store } from './store.js';

export type { TuiEngine } from './engine-port.js';
export { engineAdapter } from './engine-adapter.js';
export type { EngineAdapterOptions, ProjectRead } from './engine-adapter.js';
export { projectChanges, runtimeChanges } from './live-sources.js';

/** Enter the alternate screen, and leave it showing the cursor again. */
export const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[2J\x1b[H';
export const LEAVE_ALT_SCREEN = '\x1b[?1049l\x1b[?25h';

/** The terminal the TUI draws on: Node's process streams, or a test's stand-ins. */
export interface TuiTerminal {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface TuiOptions extends TuiTerminal {
  engine: TuiEngine;
  /** False under NO_COLOR (or TERM=dumb): states show as symbols only. */
  colour: boolean;
  /** Aborted when devenv is told to stop (SIGTERM, SIGHUP): the TUI closes. */
  signal: AbortSignal;
  changes?: ChangeSource | undefined;
  watch?: WatchSource | undefined;
  spawner?: Spawner | undefined;
  now?: (() => number) | undefined;
  /** Ink's debug mode (every frame written whole), for tests. */
  debug?: boolean | undefined;
  /** Called with the store once the TUI runs, for tests. */
  onStart?: ((store: Store, controller: Controller) => void) | undefined;
}

/** The Ink instance on the store, torn down and made again around each handover. */
class InkScreen implements TerminalScreen {
  private instance: Instance | undefined;
  onKey: (input: string, key: Parameters<Controller['onKey']>[1]) => void = () => undefined;

  constructor(
    private readonly options: TuiOptions,
    private readonly store: Store,
  ) {}

  mount(): void {
    const { stdin, stdout, stderr, colour, debug } = this.options;
    this.instance = render(
      createElement(App, {
        store: this.store,
        theme: { colour },
        onKey: (input, key) => {
          this.onKey(input, key);
        },
      }),
      { stdin, stdout, stderr, debug: debug === true, exitOnCtrlC: false, patchConsole: false, maxFps: 30 },
    );
  }

  async release(): Promise<void> {
    // Let React commit the suspended state first: every input hook inactive, so Ink leaves raw mode.
    await new Promise((resolve) => setImmediate(resolve));
    this.options.stdin.pause();
    await this.unmount();
    this.options.stdout.write(LEAVE_ALT_SCREEN);
  }

  restore(): void {
    this.options.stdout.write(ENTER_ALT_SCREEN);
    // Ink's input listener goes on in the same tick, which takes the stream out of flowing mode.
    this.options.stdin.resume();
    this.mount();
  }

  say(line: string): void {
    this.options.stdout.write(`${line}\n`);
  }

  redraw(): void {
    this.instance?.clear();
    this.options.stdout.write('\x1b[2J\x1b[H');
    this.instance?.rerender(
      createElement(App, {
        store: this.store,
        theme: { colour: this.options.colour },
        onKey: (i, k) => {
          this.onKey(i, k);
        },
      }),
    );
  }

  async unmount(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (instance === undefined) return;
    instance.unmount();
    await instance.waitUntilExit();
  }
}

/** Runs the TUI until the user quits; resolves with the exit status. */
export async function runTui(options: TuiOptions): Promise<number> {
  const { stdin, stdout } = options;
  const now = options.now ?? Date.now;
  const size = (): { columns: number; rows: number } => ({
    columns: stdout.columns || 80,
    rows: stdout.rows || 24,
  });
  const store = createStore(initialState(size(), now(), options.engine.title));
  const screen = new InkScreen(options, store);
  let quit: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const controller = new Controller({
    store,
    engine: options.engine,
    handover: terminalHandover(screen, options.spawner ?? spawnInherit),
    changes: options.changes ?? pollChanges(),
    watch: options.watch ?? noWatch,
    now,
    onQuit: () => {
      quit();
    },
    onRedraw: () => {
      screen.redraw();
    },
  });
  screen.onKey = (input, key) => {
    controller.onKey(input, key);
  };
  const onResize = (): void => {
    // A narrower terminal reflows the old frame's long lines, so Ink's count of what to erase is
    // off; on the alternate screen, clearing it all first costs nothing.
    stdout.write('\x1b[2J\x1b[H');
    store.dispatch({ type: 'size', ...size() });
  };
  // A crash or process.exit() elsewhere must not leave the user's terminal in raw mode on the
  // alternate screen.
  const restoreTerminal = (): void => {
    stdout.write(LEAVE_ALT_SCREEN);
    if (stdin.isTTY) stdin.setRawMode(false);
  };
  const onAbort = (): void => {
    quit();
  };
  // The clock moves the screen only when a second can show: a job's time, or an uptime under a
  // minute; otherwise once a minute. A redraw every second of an idle screen is most of idle CPU.
  let lastTick = now();
  const clock = setInterval(() => {
    const state = store.getState();
    if (state.suspended) return;
    const t = now();
    const seconds =
      state.jobs.length > 0 ||
      state.rows.some(
        (row) => isRunning(row) && row.startedAt !== undefined && t - Date.parse(row.startedAt) < 60_000,
      );
    if (!seconds && Math.floor(t / 60_000) === Math.floor(lastTick / 60_000)) return;
    lastTick = t;
    store.dispatch({ type: 'tick', now: t });
  }, 1000);
  clock.unref();
  stdout.write(ENTER_ALT_SCREEN);
  process.once('exit', restoreTerminal);
  stdout.on('resize', onResize);
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    screen.mount();
    options.onStart?.(store, controller);
    void controller.start();
    await done;
    return 0;
  } finally {
    clearInterval(clock);
    controller.close();
    options.signal.removeEventListener('abort', onAbort);
    stdout.off('resize', onResize);
    await screen.unmount();
    restoreTerminal();
    process.off('exit', restoreTerminal);
    stdin.pause();
  }
}
