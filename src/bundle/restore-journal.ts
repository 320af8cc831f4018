/**
 * What an unfinished `load` made, kept in the environment's state folder: written before the first
 * volume is created and removed once the container exists. A load killed on the way leaves it behind,
 * and the next load of that name first takes back what it lists (the volumes it created, the tag it
 * moved), so a half-filled volume is never kept as if it held the user's data.
 */
import { mkdir, readFile, rm } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { z } from 'zod';
import type { EngineContext } from '../engine/engine-context.js';
import { writeFileAtomic } from '../util/atomic.js';

const JOURNAL_FILE = 'restoring.json';

const JournalSchema = z.strictObject({
  tag: z.string(),
  /** The image the tag named before the load, to give it back. */
  previous: z.string().optional(),
  /** Full names of the volumes this load creates. */
  volumes: z.array(z.string()),
});

export type RestoreJournal = z.output<typeof JournalSchema>;

/** Records what the load is about to make. */
export async function writeRestoreJournal(stateDir: string, journal: RestoreJournal): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(stateDir, JOURNAL_FILE), `${JSON.stringify(journal)}\n`, 0o600);
}

/** The load finished (or took everything back itself): nothing is left to undo. */
export async function removeRestoreJournal(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, JOURNAL_FILE), { force: true });
}

/**
 * Takes back what a killed load of this environment made, if one left its journal; called under the
 * environment's lock, with no container of that name.
 */
export async function undoUnfinishedRestore(ctx: EngineContext, stateDir: string): Promise<void> {
  const text = await readFile(path.join(stateDir, JOURNAL_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const journal = JournalSchema.safeParse(parsed);
  if (journal.success) {
    const { tag, previous, volumes } = journal.data;
    ctx.onEvent({ type: 'info', message: 'taking back what an interrupted load left' });
    for (const volume of volumes) await ctx.runtime.removeVolume(volume).catch(() => undefined);
    if (previous === undefined) await ctx.runtime.removeImage(tag, { force: false }).catch(() => undefined);
    else await ctx.runtime.tagImage(previous, tag).catch(() => undefined);
  }
  await removeRestoreJournal(stateDir);
}
