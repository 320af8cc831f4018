/**
 * Which environments changed, and on which runtime, for a screen that shows them all (the TUI) or
 * a loop that reacts to them (watch). The runtimes report their own containers' changes where they
 * can (Runtime.watchChanges: Docker's event stream, the embedded store's files); this adds what is
 * common to all: bursts coalesced per name, a light poll for a runtime that cannot report, a
 * safety refresh now and then, and environments appearing or going in devenv's state folder.
 * Nothing here lists or inspects anything: the caller refreshes what it is told changed.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from '../util/node-path.js';
import type { Runtime, RuntimeName } from '../runtime/runtime.js';

/** One environment (`name`) of one runtime changed; `name` undefined: refresh all of that runtime. */
export interface EnvironmentChange {
  runtime: RuntimeName;
  name: string | undefined;
}

/** Timings, in milliseconds; tests shorten them. */
export interface ChangeTimings {
  /** Changes reported within this window reach `onChange` once per name. */
  coalesceMs: number;
  /** A full refresh of every runtime this often, in case a change was missed. */
  safetyRefreshMs: number;
  /** A full refresh this often of a runtime that cannot report changes. */
  pollMs: number;
}

export const DEFAULT_CHANGE_TIMINGS: ChangeTimings = {
  coalesceMs: 50,
  safetyRefreshMs: 30_000,
  pollMs: 5_000,
};

export interface WatchEnvironmentOptions {
  runtimes: readonly Pick<Runtime, 'name' | 'watchChanges'>[];
  /** `$XDG_STATE_HOME/devenv`: an environment's folder under `envs/` appears on up, goes on rm. */
  stateHome: string;
  /** Everything stops when it aborts, and the returned promise resolves. */
  signal: AbortSignal;
  onChange: (change: EnvironmentChange) => void;
  timings?: Partial<ChangeTimings> | undefined;
}

/**
 * Calls `onChange` for every environment that changes until `signal` aborts. Never throws and
 * never calls `onChange` after the abort.
 */
export async function watchEnvironmentChanges(options: WatchEnvironmentOptions): Promise<void> {
  const { runtimes, stateHome, signal, onChange } = options;
  const timings = { ...DEFAULT_CHANGE_TIMINGS, ...options.timings };
  if (signal.aborted) return;

  // Per runtime, the names waiting to be reported; `undefined` in the set means "all".
  const pending = new Map<RuntimeName, Set<string | undefined>>();
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    flushTimer = undefined;
    if (signal.aborted) return;
    const batch = [...pending];
    pending.clear();
    for (const [runtime, names] of batch) {
      if (names.has(undefined)) onChange({ runtime, name: undefined });
      else for (const name of names) onChange({ runtime, name });
    }
  };
  const report = (runtime: RuntimeName, name: string | undefined): void => {
    if (signal.aborted) return;
    let names = pending.get(runtime);
    if (names === undefined) pending.set(runtime, (names = new Set()));
    names.add(name);
    flushTimer ??= setTimeout(flush, timings.coalesceMs);
  };
  const refreshAll = (): void => {
    for (const runtime of runtimes) report(runtime.name, undefined);
  };

  const timers = [setInterval(refreshAll, timings.safetyRefreshMs)];
  const sources = runtimes.map((runtime) => {
    const sink = (name: string | undefined): void => {
      report(runtime.name, name);
    };
    if (runtime.watchChanges !== undefined) return runtime.watchChanges(signal, sink).catch(() => undefined);
    timers.push(
      setInterval(() => {
        sink(undefined);
      }, timings.pollMs),
    );
    return Promise.resolve();
  });
  const envsWatcher = watchEnvFolders(path.join(stateHome, 'envs'), (name) => {
    for (const runtime of runtimes) report(runtime.name, name);
  });

  await new Promise<void>((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
  for (const timer of timers) clearInterval(timer);
  clearTimeout(flushTimer);
  envsWatcher?.close();
  await Promise.all(sources);
}

/** Watches `envsDir` for environment folders that appear or go; undefined when it does not exist. */
function watchEnvFolders(envsDir: string, onName: (name: string) => void): FSWatcher | undefined {
  try {
    const watcher = watch(envsDir, (_event, filename) => {
      // Dot names are temp files, not environments.
      if (filename !== null && !filename.startsWith('.')) onName(filename);
    });
    watcher.on('error', () => undefined);
    return watcher;
  } catch {
    return undefined;
  }
}
