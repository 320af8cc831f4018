/**
 * What the engine's use cases receive: the runtime, where events go, the caller's terminal and
 * environment, and a way to ask the user. Commands build it; tests pass small objects.
 */
import type { RuntimeEvent } from '../runtime/events.js';
import type { Runtime, Stdio } from '../runtime/runtime.js';

/** Everything the engine reports while it works; the UI turns these into lines or TUI updates. */
export type EngineEvent = RuntimeEvent;

export interface EngineContext {
  runtime: Runtime;
  onEvent: (event: EngineEvent) => void;
  /** The caller's environment (proxy values, DISPLAY). */
  env: Readonly<Record<string, string | undefined>>;
  stdio: Stdio;
  /** True when stdin and stdout are terminals: attach, prompt, allocate TTYs. */
  interactive: boolean;
  /** Asks a yes/no question; resolves false when nobody can answer. */
  confirm: (question: string) => Promise<boolean>;
  /** `$XDG_STATE_HOME/devenv`: per-environment state folders live under it. */
  stateHome: string;
  /** Aborted when the user interrupts: waits end, work stops, `finally` cleanups still run. */
  signal: AbortSignal;
}
