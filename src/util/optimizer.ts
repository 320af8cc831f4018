/**
 * devenv starts without V8's optimizing compiler and turns it on for work that needs it.
 *
 * Most commands are short (exec, status, a no-op up) and spend their time loading code and waiting
 * on the engine: in them TurboFan only compiles functions that are about to stop running, and its
 * code and compile buffers were ~4 MiB of a 54 MiB peak (measured on `devenv images`, same time).
 * The hot loops (tar parsing and writing, hashing, layer extraction) would run tens of times slower
 * without it, so each of them turns it on as it starts, and so does a timer for anything else that
 * runs longer than a second. The flag is process-wide and only ever changes from off to on.
 */
import { setFlagsFromString } from 'node:v8';

/** How long a command runs before the optimizer is on whatever it does. */
const LEAN_START_MS = 1000;

let lean = false;

/**
 * Where the launcher (src/launch.ts) sees whether the start is still lean: it caches the compiled
 * code of a package only then, since V8 takes a cache only under the flags it was made with.
 */
const LEAN_FLAG = Symbol.for('devenv.lean-start');

function setLean(value: boolean): void {
  lean = value;
  (globalThis as Record<symbol, unknown>)[LEAN_FLAG] = value;
}

/** Turns the optimizer off for the start of the process; call once, first thing. */
export function startLean(): void {
  setFlagsFromString('--no-opt');
  setLean(true);
  setTimeout(optimizeFromNow, LEAN_START_MS).unref();
}

/** Turns the optimizer on (again); for code about to run a hot loop. Cheap when it is on. */
export function optimizeFromNow(): void {
  if (!lean) return;
  setLean(false);
  setFlagsFromString('--opt');
}
