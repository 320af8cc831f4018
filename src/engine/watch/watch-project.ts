/**
 * Watches a project's devenv.yml and COPY sources and reports, per batch of changes, what they mean
 * (see {@link WatchVerdict}). No output and no UI: `devenv watch`, `devenv up --watch` and the TUI
 * each decide how to show a verdict and whether to act on it.
 *
 * Events are batched until the files have been quiet for `quietMs`, deduplicated, and compared by
 * content with what was last seen, so a `touch` or a save of the same bytes reports nothing and an
 * editor's write-then-rename save reports once. Batches are handled one at a time, in order.
 */
import { watch } from 'chokidar';
import type { Runtime } from '../../runtime/runtime.js';
import type { Project } from '../image.js';
import { changedEntries, snapshotDifference, snapshotOf } from './content-snapshot.js';
import { verdictOf } from './verdict.js';
import type { WatchVerdict } from './verdict.js';
import { watchedPaths } from './watched-paths.js';
import type { WatchedPaths } from './watched-paths.js';

/** How long the files must be quiet before a batch is handled (compose watch uses the same). */
export const DEFAULT_QUIET_MS = 500;

/** Past this many paths in one batch (a branch switch, a checkout) the files are compared all at once. */
export const LARGE_BATCH = 1000;

export interface WatchProjectOptions {
  projectDir: string;
  /** The devenv.yml being watched. */
  configFile: string;
  /** The project as it is now: which COPY sources to watch first. */
  project: Project;
  /** Reads devenv.yml again and plans it; throws a ConfigError when it does not validate. */
  loadProject: () => Promise<Project>;
  /** Where the drift side looks: the environment's image and container. */
  runtime: Pick<Runtime, 'inspectImage' | 'inspectContainer'>;
  /** Called once per batch whose content changed. */
  onVerdict: (verdict: WatchVerdict) => void;
  /** A batch that could not be judged (a runtime failure, an unreadable source); watching goes on. */
  onError?: ((error: unknown) => void) | undefined;
  quietMs?: number | undefined;
  /** Aborting it closes the watch. */
  signal?: AbortSignal | undefined;
}

/** A running watch. */
export interface ProjectWatch {
  /** Stops watching; a batch being judged finishes first, and no verdict follows. */
  close(): Promise<void>;
}

/** Fingerprints of everything `paths` covers, the watched folders themselves included. */
async function snapshotFor(paths: WatchedPaths): Promise<Map<string, string>> {
  return snapshotOf([...paths.roots, paths.configFile, ...paths.sources], (file) =>
    paths.roots.includes(file) ? true : paths.matters(file),
  );
}

/** Starts watching; resolves once the watcher has read the folders, so edits after it are seen. */
export async function watchProject(options: WatchProjectOptions): Promise<ProjectWatch> {
  const quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
  let paths = await watchedPaths(options.project, options.configFile);
  let snapshot = await snapshotFor(paths);
  const watcher = watch(paths.roots, {
    ignoreInitial: true,
    // Folds an unlink followed by an add of the same file (a rename-over save) into one change.
    atomic: true,
    followSymlinks: false,
    // Reads `paths` when called, so following new COPY sources needs no new watcher.
    ignored: (file) => !paths.matters(file),
  });
  let closed = false;
  const isClosed = (): boolean => closed;
  let timer: NodeJS.Timeout | undefined;
  const pending = new Set<string>();
  let queue: Promise<void> = Promise.resolve();

  const follow = async (project: Project): Promise<void> => {
    const next = await watchedPaths(project, options.configFile);
    const sameSources = next.sources.join('\0') === paths.sources.join('\0');
    if (sameSources) return;
    const added = next.roots.filter((root) => !paths.roots.includes(root));
    const removed = paths.roots.filter((root) => !next.roots.includes(root));
    paths = next;
    snapshot = await snapshotFor(paths);
    if (removed.length > 0) watcher.unwatch(removed);
    if (added.length > 0) watcher.add(added);
  };

  const judge = async (batch: string[]): Promise<void> => {
    let changed: string[];
    if (batch.length > LARGE_BATCH) {
      const fresh = await snapshotFor(paths);
      changed = snapshotDifference(snapshot, fresh);
      snapshot = fresh;
    } else {
      changed = await changedEntries(snapshot, batch.filter(paths.matters));
    }
    if (changed.length === 0 || closed) return;
    const { verdict, project } = await verdictOf(options.runtime, options.loadProject, changed);
    if (project !== undefined) await follow(project);
    // close() may have run while the batch was judged.
    if (!isClosed()) options.onVerdict(verdict);
  };

  const flush = (): void => {
    timer = undefined;
    const batch = [...pending];
    pending.clear();
    queue = queue.then(() =>
      judge(batch).catch((error: unknown) => {
        if (!closed) options.onError?.(error);
      }),
    );
  };

  const onChange = (file: string): void => {
    if (closed) return;
    pending.add(file);
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, quietMs);
  };
  for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const)
    watcher.on(event, onChange);
  watcher.on('error', (error) => {
    if (!closed) options.onError?.(error);
  });
  await new Promise<void>((resolve) => {
    watcher.once('ready', () => {
      resolve();
    });
  });

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await watcher.close();
    await queue;
  };
  const onAbort = (): void => {
    void close();
  };
  if (options.signal?.aborted === true) await close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  return { close };
}
