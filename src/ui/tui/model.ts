/**
 * What the TUI shows, as plain data: one row per environment and what the panes hold. Nothing here
 * imports Ink or the runtimes' code, so the store and the views can be tested with small objects.
 */
import type { DriftState } from '../../engine/drift.js';
import type { ContainerState } from '../../runtime/runtime.js';

/** How an environment relates to its devenv.yml; the engine's drift states plus two of the TUI's. */
export interface DriftView {
  /** `config-invalid`: devenv.yml does not validate; `unknown`: not this project's (not checked). */
  state: DriftState | 'config-invalid' | 'unknown';
  /** One line for people, the same words `devenv status` prints. */
  summary: string;
  /** Run settings that changed, one phrase each. */
  changes: string[];
}

/** One environment as the list and the detail pane show it. */
export interface EnvRow {
  /** `runtime/name`: names are unique per runtime, not across them. */
  key: string;
  name: string;
  runtime: string;
  /** The project folder recorded on the container. */
  project: string | undefined;
  /** True for the environment of the devenv.yml the TUI was opened in. */
  mine: boolean;
  state: ContainerState | 'absent';
  startedAt: string | undefined;
  exitCode: number | undefined;
  image: string;
  ports: string[];
  mounts: { source: string; target: string; type: string }[];
  devices: string[];
  drift: DriftView;
}

/** The key of an environment. */
export function rowKey(runtime: string, name: string): string {
  return `${runtime}/${name}`;
}

/** True while the environment's processes run. */
export function isRunning(row: Pick<EnvRow, 'state'>): boolean {
  return row.state === 'running' || row.state === 'restarting' || row.state === 'paused';
}
