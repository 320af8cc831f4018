/**
 * Which runtime an environment lives on, recorded in its state folder (`runtime.json`) when its
 * container is created. Later commands on that environment go to the same runtime whatever `auto`
 * would pick today, so an environment made on Docker stays on Docker after the default changes, and
 * one moved with `devenv move` is found where it went (docs/architecture.md#choosing-a-runtime).
 */
import { readFile, rm } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';
import type { RuntimeName } from './runtime.js';

const RECORD_FILE = 'runtime.json';
const NAMES: readonly RuntimeName[] = ['docker', 'podman', 'embedded'];

/** The runtime recorded in `stateDir`; undefined when none is (or the file is not ours). */
export async function readRuntimeRecord(stateDir: string): Promise<RuntimeName | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(stateDir, RECORD_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = (JSON.parse(text) as { runtime?: unknown }).runtime;
    return NAMES.find((name) => name === value);
  } catch {
    // A damaged record is no record: the environment is looked for as if it had none.
    return undefined;
  }
}

/** Records `runtime` as the one the environment of `stateDir` lives on. */
export async function writeRuntimeRecord(stateDir: string, runtime: RuntimeName): Promise<void> {
  if ((await readRuntimeRecord(stateDir)) === runtime) return;
  await ensureWritableDir(stateDir, STATE_FOLDER);
  await writeFileAtomic(path.join(stateDir, RECORD_FILE), `${JSON.stringify({ runtime })}\n`, 0o600);
}

/** Forgets the record (the environment is gone from its runtime). */
export async function removeRuntimeRecord(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, RECORD_FILE), { force: true });
}
