/**
 * The TUI's real sources: runtime state changes from {@link watchEnvironmentChanges} (Docker's
 * event stream, the embedded store's state files) and project edits from {@link watchProject}.
 * Neither knows about Ink; this file only adapts their callbacks to the TUI's interfaces.
 */
import { watchEnvironmentChanges } from '../../engine/env-changes.js';
import type { ChangeTimings } from '../../engine/env-changes.js';
import type { Project } from '../../engine/image.js';
import { changedFilesLabel } from '../../engine/watch/verdict.js';
import type { ProjectWatch, WatchVerdict } from '../../engine/watch/index.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ChangeSource, WatchSource } from './sources.js';
import type { PendingChange } from './store.js';

/**
 * A full refresh this often while the runtimes report their own changes: the safety net for a
 * missed event, kept rare because each one runs the runtimes' listings (idle CPU).
 */
const TUI_TIMINGS: Partial<ChangeTimings> = { safetyRefreshMs: 120_000 };

/** Runtime changes as a {@link ChangeSource}; while paused they are remembered as "refresh all". */
export function runtimeChanges(runtimes: readonly Runtime[], stateHome: string): ChangeSource {
  const stop = new AbortController();
  let paused = false;
  let missed = false;
  let report: (name: string | undefined) => void = () => undefined;
  return {
    start(onChange) {
      report = onChange;
      void watchEnvironmentChanges({
        runtimes,
        stateHome,
        signal: stop.signal,
        timings: TUI_TIMINGS,
        onChange: (change) => {
          if (paused) missed = true;
          else report(change.name);
        },
      });
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      if (missed) {
        missed = false;
        report(undefined);
      }
    },
    close: () => {
      stop.abort();
    },
  };
}

/** What a verdict means for the banner (its summary names the files); undefined for an edit with no effect. */
export function pendingChangeOf(projectDir: string, verdict: WatchVerdict): PendingChange | undefined {
  const files = changedFilesLabel(projectDir, verdict.paths);
  switch (verdict.kind) {
    case 'none':
      return undefined;
    case 'invalid':
      return {
        verdict: 'invalid',
        message: `${files} changed but does not validate: ${verdict.error.message.split('\n').slice(0, 2).join(' ')}`,
      };
    case 'rebuild':
      return { verdict: 'rebuild', message: verdict.summary };
    case 'recreate':
      return { verdict: 'recreate', message: verdict.summary };
  }
}

/** The project's devenv.yml and build inputs as a {@link WatchSource}. */
export function projectChanges(options: {
  project: Project;
  configFile: string;
  loadProject: () => Promise<Project>;
  runtime: Pick<Runtime, 'inspectImage' | 'inspectContainer'>;
}): WatchSource {
  const stop = new AbortController();
  let watch: ProjectWatch | undefined;
  return {
    start(onChange) {
      // The watcher (chokidar) loads after the first frame, not before it.
      void import('../../engine/watch/index.js')
        .then(({ watchProject }) =>
          watchProject({
            projectDir: options.project.projectDir,
            configFile: options.configFile,
            project: options.project,
            loadProject: options.loadProject,
            runtime: options.runtime,
            signal: stop.signal,
            onVerdict: (verdict) => {
              const change = pendingChangeOf(options.project.projectDir, verdict);
              if (change !== undefined) onChange(change);
            },
            // A batch that could not be judged leaves the banner as it is; the next edit tries again.
            onError: () => undefined,
          }),
        )
        .then(
          (started) => {
            watch = started;
            if (stop.signal.aborted) void started.close();
          },
          // Nothing to watch (the folder went away): the TUI works on without the banner.
          () => undefined,
        );
    },
    close: () => {
      stop.abort();
      void watch?.close();
    },
  };
}
