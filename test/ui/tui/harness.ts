/**
 * Runs the real TUI (runTui, Ink, the engine adapter) on fake terminal streams of any size, with the
 * in-memory runtime behind it, a fake clock, a fake change source and a fake watcher. Ink runs in
 * debug mode, so every frame is written whole and the last write is the screen.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { EngineFixture } from '../../helpers/engine-fixture.js';
import { engineAdapter } from '../../../src/ui/tui/engine-adapter.js';
import type { TuiEngine } from '../../../src/ui/tui/engine-port.js';
import type { ChildCommand, Spawner } from '../../../src/ui/tui/handover.js';
import { runTui } from '../../../src/ui/tui/index.js';
import type { Controller } from '../../../src/ui/tui/controller.js';
import type { ChangeSource, WatchSource } from '../../../src/ui/tui/sources.js';
import type { PendingChange, Store } from '../../../src/ui/tui/store.js';

export class FakeStdout extends EventEmitter {
  isTTY = true;
  readonly writes: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (data: string): boolean => {
    this.writes.push(data);
    return true;
  };
  /** The last frame Ink wrote (not the escape sequences the TUI writes itself). */
  frame(): string {
    return [...this.writes].reverse().find((w) => !w.startsWith('\x1b[?1049')) ?? '';
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  rawMode = false;
  paused = false;
  private data: string | null = null;
  setEncoding(): void {}
  setRawMode(mode: boolean): void {
    this.rawMode = mode;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  ref(): void {}
  unref(): void {}
  read = (): string | null => {
    const { data } = this;
    this.data = null;
    return data;
  };
  /** Types raw bytes, as a terminal in raw mode sends them. */
  press(data: string): void {
    this.data = data;
    this.emit('readable');
  }
}

/** Raw bytes of the key map's key names. */
export const KEY_BYTES: Record<string, string> = {
  up: '\x1b[A',
  down: '\x1b[B',
  pageup: '\x1b[5~',
  pagedown: '\x1b[6~',
  home: '\x1b[H',
  end: '\x1b[F',
  enter: '\r',
  escape: '\x1b',
  tab: '\t',
  'shift-tab': '\x1b[Z',
  backspace: '\x7f',
  'ctrl-r': '\x12',
  'ctrl-l': '\x0c',
  'ctrl-c': '\x03',
};

/** A change source the test fires by hand. */
export class FakeChanges implements ChangeSource {
  onChange: ((name: string | undefined) => void) | undefined;
  paused = false;
  start(onChange: (name: string | undefined) => void): void {
    this.onChange = onChange;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  close(): void {}
}

/** A watcher the test pushes verdicts through. */
export class FakeWatch implements WatchSource {
  push: (change: PendingChange | undefined) => void = () => undefined;
  start(onChange: (change: PendingChange | undefined) => void): void {
    this.push = onChange;
  }
  close(): void {}
}

export interface Tui {
  stdout: FakeStdout;
  stdin: FakeStdin;
  store: Store;
  controller: Controller;
  changes: FakeChanges;
  watch: FakeWatch;
  spawned: ChildCommand[];
  /** Presses keys (names of the key map, or text) one at a time, letting Ink render after each. */
  keys(...keys: string[]): Promise<void>;
  /** Waits until the frame matches. */
  waitFor(pattern: RegExp | ((frame: string) => boolean), what?: string): Promise<string>;
  frame(): string;
  resize(columns: number, rows: number): Promise<void>;
  quit(): Promise<number>;
}

/** A tick of the event loop, so React commits and Ink writes a frame. */
export async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 0));
}

/** The TUI port on the fixture's in-memory runtime, its project being "this project". */
export function fixtureEngine(fixture: EngineFixture): TuiEngine {
  return engineAdapter({
    runtimes: [fixture.runtime],
    projectRuntime: fixture.runtime,
    readProject: () => Promise.resolve({ kind: 'ok', project: fixture.project }),
    context: () => fixture.context({ interactive: true }),
    cli: { execPath: '/usr/bin/node', script: '/devenv/cli.js', globals: [] },
    editor: 'vi',
    configFile: `${fixture.dir}/devenv.yml`,
    cwd: fixture.dir,
    caller: {
      cwd: fixture.dir,
      homeDir: fixture.dir,
      hostUser: { name: 'dev', uid: 1000, gid: 1000 },
      env: {},
      settings: {} as never,
    },
    version: '0.0.0-test',
  });
}

/** Opens the TUI at `columns` × `rows`. */
export async function openTui(
  engine: TuiEngine,
  options: { columns?: number; rows?: number; colour?: boolean; spawner?: Spawner; now?: () => number } = {},
): Promise<Tui> {
  const stdout = new FakeStdout(options.columns ?? 80, options.rows ?? 24);
  const stdin = new FakeStdin();
  const changes = new FakeChanges();
  const watch = new FakeWatch();
  const spawned: ChildCommand[] = [];
  let store: Store | undefined;
  let controller: Controller | undefined;
  const abort = new AbortController();
  const stderr = new PassThrough();
  const exit = runTui({
    engine,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    colour: options.colour ?? true,
    signal: abort.signal,
    changes,
    watch,
    spawner:
      options.spawner ??
      ((command) => {
        spawned.push(command);
        return Promise.resolve(0);
      }),
    now: options.now ?? (() => Date.parse('2026-01-01T12:00:00Z')),
    debug: true,
    onStart: (s, c) => {
      store = s;
      controller = c;
    },
  });
  await settle();
  if (store === undefined || controller === undefined) throw new Error('the TUI did not start');
  const tui: Tui = {
    stdout,
    stdin,
    store,
    controller,
    changes,
    watch,
    spawned,
    async keys(...keys) {
      for (const key of keys) {
        stdin.press(KEY_BYTES[key] ?? key);
        await settle();
      }
    },
    async waitFor(pattern, what) {
      const test =
        typeof pattern === 'function' ? pattern : (f: string) => pattern.test(visibleLines(f).join('\n'));
      for (let i = 0; i < 2000; i++) {
        const frame = stdout.frame();
        if (test(frame)) return frame;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`timed out waiting for ${what ?? String(pattern)}; frame:\n${stdout.frame()}`);
    },
    frame: () => stdout.frame(),
    async resize(columns, rows) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit('resize');
      await settle();
    },
    async quit() {
      abort.abort();
      return exit;
    },
  };
  return tui;
}

/** The frame's lines without escape sequences. */
export function visibleLines(frame: string): string[] {
  // eslint-disable-next-line no-control-regex -- SGR escapes
  const lines = frame.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
