/**
 * What the TUI asks of devenv: the inventory, the engine's use cases and the command lines of a
 * handover. The TUI's controller sees only this interface; the command wires it to the real engine
 * and runtimes (engine-adapter.ts), tests to the in-memory runtime.
 */
import type { Writable } from 'node:stream';
import type { RuntimeEvent } from '../../runtime/events.js';
import type { EnvRow } from './model.js';

/** What a job gives the engine: where its events and output go, its questions, its cancel switch. */
export interface JobHooks {
  onEvent: (event: RuntimeEvent) => void;
  /** Hook and build output the engine would print on a terminal. */
  output: Writable;
  confirm: (question: string) => Promise<boolean>;
  signal: AbortSignal;
}

/** Where a load puts the environment. */
export interface LoadRequest {
  file: string;
  /** A new name, or undefined for the bundle's own. */
  name: string | undefined;
  /** The project folder that gets its devenv.yml. */
  dir: string;
}

export interface TuiEngine {
  /** Shown in the heading: the runtimes and the project folder. */
  readonly title: string;
  /** devenv.yml of this project, if there is one (for `o`). */
  readonly configFile: string | undefined;
  /** Every environment on every runtime, this project's first, with drift. */
  inventory(): Promise<{ rows: EnvRow[]; problems: string[] }>;
  /** One environment again; undefined once it is gone. */
  inspect(row: Pick<EnvRow, 'name' | 'runtime'>): Promise<EnvRow | undefined>;
  start(row: EnvRow, job: JobHooks): Promise<string>;
  stop(row: EnvRow, job: JobHooks): Promise<string>;
  restart(row: EnvRow, job: JobHooks): Promise<string>;
  /** `devenv up -d` of this project's environment: builds what changed, recreates, starts. */
  rebuild(row: EnvRow, noCache: boolean, job: JobHooks): Promise<string>;
  remove(row: EnvRow, job: JobHooks): Promise<string>;
  save(row: EnvRow, file: string, job: JobHooks): Promise<string>;
  load(request: LoadRequest, job: JobHooks): Promise<string>;
  /** The generated Dockerfile and run flags, as `devenv plan` prints them. */
  plan(row: EnvRow): Promise<string[]>;
  /** The last lines of the environment's output. */
  logs(row: EnvRow, output: Writable): Promise<void>;
  /** argv of `devenv attach` / `devenv shell` for this environment, run as a child. */
  attachCommand(row: EnvRow): string[];
  shellCommand(row: EnvRow): string[];
  /** A shell line that opens devenv.yml in the user's editor, or undefined without devenv.yml. */
  editCommand(): string | undefined;
  /** The default folder a load writes devenv.yml to, for the given name. */
  loadFolder(name: string | undefined): string;
}
