/**
 * Changes to the embedded runtime's containers, seen from the store's files. There is no daemon to
 * ask: other devenv processes (a monitor, `devenv up` in another terminal) change a container by
 * rewriting its state.json atomically, and create or remove it as a folder under containers/. So:
 *
 * - one watch on containers/ for folders that appear or go;
 * - one watch per container on its state.json, re-armed after every event, because the atomic
 *   rename puts a new file under the name and a watch follows the old one (before its first start
 *   a container has no state.json: its folder is watched until one appears). Watching the folder
 *   all the time would wake this process on every write to the session log beside it;
 * - a liveness poll of the pids that "running" records name, since a monitor that dies (kill -9,
 *   OOM) never writes the file again. It reads /proc only, and only for running containers.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readdir, stat } from '../../../util/fs-async.js';
import type { ContainerChangeSink } from '../../runtime.js';
import { isAlive } from './liveness.js';
import { containerPaths, readConfig, readState } from './record.js';
import type { ContainerStateFile } from './record.js';

/** How often the pids of running containers are checked. */
export const LIVENESS_POLL_MS = 2_000;

const CONTAINER_ID = /^[a-f0-9]{64}$/;

interface Watched {
  name: string | undefined;
  watcher: FSWatcher | undefined;
  state: ContainerStateFile | undefined;
  /** The recorded run was already reported dead; cleared when the state file changes. */
  reportedDead: boolean;
}

/** `fs.watch` that returns undefined instead of throwing (the path is gone or was never there). */
function tryWatch(file: string, onEvent: (filename: string | null) => void): FSWatcher | undefined {
  try {
    const watcher = watch(file, { persistent: true }, (_event, filename) => {
      onEvent(filename);
    });
    watcher.on('error', () => undefined);
    return watcher;
  } catch {
    return undefined;
  }
}

/**
 * Reports changes to the containers under `containersDir` until `signal` aborts. A folder that does
 * not exist yet (a store never used for containers) is looked for again on every poll.
 */
export async function watchContainers(
  containersDir: string,
  signal: AbortSignal,
  onChange: ContainerChangeSink,
  pollMs = LIVENESS_POLL_MS,
): Promise<void> {
  const containers = new Map<string, Watched>();
  // A function, so the check after an await is not narrowed away by the one before it.
  const stopped = (): boolean => signal.aborted;
  let dirWatcher: FSWatcher | undefined;

  const arm = (id: string, entry: Watched): void => {
    entry.watcher?.close();
    const paths = containerPaths(containersDir, id);
    entry.watcher =
      tryWatch(paths.state, () => {
        void refresh(id);
      }) ??
      tryWatch(paths.dir, (filename) => {
        if (filename === 'state.json' || filename === 'config.json') void refresh(id);
      });
  };

  /**
   * Re-arms the watch of container `id`, re-reads it and reports it (or its removal) unless `quiet`.
   * The watch comes first, so a write that lands while the files are read is not missed.
   */
  const refresh = async (id: string, quiet = false): Promise<void> => {
    if (stopped()) return;
    const paths = containerPaths(containersDir, id);
    const entry: Watched = containers.get(id) ?? {
      name: undefined,
      watcher: undefined,
      state: undefined,
      reportedDead: false,
    };
    containers.set(id, entry);
    arm(id, entry);
    const [config, state] = await Promise.all([
      readConfig(paths).catch(() => undefined),
      readState(paths).catch(() => undefined),
    ]);
    if (stopped()) return;
    if (entry.watcher === undefined && !(await exists(paths.dir))) {
      containers.delete(id);
      if (!quiet) onChange(entry.name);
      return;
    }
    const name = config?.name ?? entry.name;
    // A container renamed in place (recreated under the same name) reports the old name too.
    if (!quiet && entry.name !== undefined && entry.name !== name) onChange(entry.name);
    entry.name = name;
    entry.state = state;
    entry.reportedDead = false;
    if (!quiet) onChange(name);
  };

  const scan = async (quiet: boolean): Promise<void> => {
    const ids = (await readdir(containersDir).catch(() => [])).filter((id) => CONTAINER_ID.test(id));
    await Promise.all(ids.map((id) => refresh(id, quiet)));
  };

  /** Watches containers/ once it exists; `quiet` on the first try, when the caller lists anyway. */
  const watchDir = async (quiet: boolean): Promise<void> => {
    if (dirWatcher !== undefined) return;
    dirWatcher = tryWatch(containersDir, (filename) => {
      if (filename !== null && CONTAINER_ID.test(filename)) void refresh(filename);
    });
    if (dirWatcher === undefined) return;
    dirWatcher.on('error', () => {
      dirWatcher?.close();
      dirWatcher = undefined;
    });
    await scan(quiet);
  };

  const checkLiveness = (): void => {
    for (const entry of containers.values()) {
      const state = entry.state;
      if (state?.status !== 'running' || entry.reportedDead) continue;
      if (isAlive(state.pid, state.pidStart) && isAlive(state.monitorPid, state.monitorStart)) continue;
      entry.reportedDead = true;
      onChange(entry.name);
    }
  };

  await watchDir(true);
  const timer = setInterval(() => {
    if (dirWatcher === undefined) void watchDir(false);
    checkLiveness();
  }, pollMs);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
  });
  clearInterval(timer);
  dirWatcher?.close();
  for (const entry of containers.values()) entry.watcher?.close();
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
