/**
 * `devenv storage move DIR` (the seed's "move Docker's storage to the SSD"). Under the store lock:
 * refuse while containers run, while another process holds a lease (a pull or load in flight), or
 * when the target holds something else; copy with `cp -a` into a staging directory beside the
 * target; verify the copy (same tree, and the checker finds nothing the original did not have);
 * rename it into place; let the caller record the new root; only then empty the old root. A crash at any point leaves one complete store that the settings point at:
 * - before the switch the settings still name the old store, which is untouched; a rerun recognises
 *   its own staging or target by the marker file and starts over;
 * - after the switch the new store is complete and the old one is only garbage, marked `moved.json`
 *   so nothing opens it by mistake.
 */
import { mkdir, readdir, rename, rm, rmdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { promisify } from 'node:util';
import { DevenvError } from '../../../errors.js';
import { syncDir } from '../../../util/atomic.js';
import { childProcess } from '../../../util/child-process.js';
import { asFsError } from '../../../util/fs-problem.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import { checkStore } from './check.js';
import { runningContainers } from './containers.js';
import { createContext } from './store-context.js';
import { exists, treeSize } from './fs-util.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { listLeases } from './leases.js';
import { MOVED_FILE, storePaths } from './paths.js';
import { prepareStoreRoot } from './root.js';
import { MoveMarkerSchema } from './schemas.js';
import { ensureFreeSpace, noSpaceError } from './space.js';
import { treeListing } from './tree-listing.js';

declareFailpoints('store.move.after-copy', 'store.move.after-switch', 'store.move.mid-remove');

const run = promisify(childProcess().execFile);
/** Written into the staging copy (and so the target) until the switch, naming where it came from. */
export const MOVE_MARKER = '.devenv-move.json';

/** Options of {@link moveStorage}. */
export interface MoveStorageOptions {
  from: string;
  to: string;
  /**
   * Records `to` as the store root (the caller writes the settings file). The old store is removed
   * only after this resolves; if it throws, the old store stays in use and the copy is removed.
   */
  switchTo: (root: string) => Promise<void>;
  onProgress?: ((message: string) => void) | undefined;
  lockTimeoutMs?: number | undefined;
}

/** The new root and the bytes copied. */
export interface MoveResult {
  root: string;
  bytes: number;
}

async function isOurs(dir: string, from: string): Promise<boolean> {
  const marker = await readJsonFile(path.join(dir, MOVE_MARKER), MoveMarkerSchema);
  return marker.state === 'ok' && marker.value.from === from;
}

async function prepareTarget(from: string, to: string, staging: string): Promise<void> {
  for (const dir of [staging, to])
    if (await isOurs(dir, from)) await rm(dir, { recursive: true, force: true });
  if (await exists(staging))
    throw new DevenvError('DEVENV_FILE_EXISTS', `${staging} exists; remove it or choose another target`);
  if (!(await exists(to))) return;
  const entries = await readdir(to).catch(() => undefined);
  if (entries === undefined)
    throw new DevenvError('DEVENV_FILE_EXISTS', `${to} exists and is not a directory`);
  if (entries.length > 0) {
    throw new DevenvError('DEVENV_FILE_EXISTS', `${to} is not empty`, {
      hint: 'Choose an empty or new directory for the store.',
    });
  }
}

async function copyAndVerify(from: string, staging: string, onProgress: (m: string) => void): Promise<void> {
  await mkdir(staging, { mode: 0o700 });
  await writeJsonFile(path.join(staging, MOVE_MARKER), { from });
  onProgress(`copying ${from} to ${staging}`);
  try {
    await run('cp', ['-a', '--reflink=auto', `${from}/.`, `${staging}/`], { maxBuffer: 16 * 1024 * 1024 });
    await run('sync', ['-f', staging]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    if (/No space left|Disk quota/i.test(stderr))
      throw await noSpaceError(
        Object.assign(error as object, { code: 'ENOSPC' }),
        'copying the store to',
        staging,
      );
    throw new DevenvError(
      'DEVENV_STORE',
      `copying the store to ${staging} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
      { cause: error },
    );
  }
  onProgress('verifying the copy');
  const skip = new Set([MOVE_MARKER, 'locks']);
  const [before, after] = [await treeListing(from, skip), await treeListing(staging, skip)];
  if (before.join('\n') !== after.join('\n')) {
    const differs = after.find((line, i) => line !== before[i]) ?? before[after.length] ?? '';
    throw new DevenvError(
      'DEVENV_STORE',
      `the copy in ${staging} differs from ${from} at ${differs.split('\t')[0] ?? '?'}`,
    );
  }
  const known = new Set(
    (await checkStore(from)).issues.map((issue) => `${issue.kind} ${path.relative(from, issue.path)}`),
  );
  const fresh = (await checkStore(staging)).issues.filter(
    (issue) => !known.has(`${issue.kind} ${path.relative(staging, issue.path)}`),
  );
  if (fresh.length > 0)
    throw new DevenvError(
      'DEVENV_STORE',
      `the copy in ${staging} does not check clean: ${fresh[0]?.message ?? ''}`,
    );
}

/** A failure on the target folder (in the way, not writable) as a message naming it. */
async function cannotMoveTo(error: unknown, to: string): Promise<unknown> {
  return asFsError(
    error,
    (error as NodeJS.ErrnoException).path ?? to,
    `cannot move the store to ${to}`,
    'choose a new or empty folder you can write: devenv storage move DIR',
  );
}

/** Moves the store from `options.from` to `options.to`; see the module comment for the guarantees. */
export async function moveStorage(options: MoveStorageOptions): Promise<MoveResult> {
  const from = path.resolve(options.from);
  const to = path.resolve(options.to);
  const progress = options.onProgress ?? (() => undefined);
  if (from === to || to.startsWith(`${from}/`) || from.startsWith(`${to}/`)) {
    throw new DevenvError(
      'DEVENV_USAGE',
      `cannot move the store from ${from} to ${to}: one contains the other`,
    );
  }
  await prepareStoreRoot(from, { create: false });
  const ctx = createContext(storePaths(from), Date.now, options.lockTimeoutMs ?? 120_000);
  const staging = `${to}.devenv-moving`;
  const bytes = await ctx.withStoreLock(`moving the store to ${to}`, async () => {
    const running = await runningContainers(ctx);
    if (running.length > 0) {
      throw new DevenvError(
        'DEVENV_BUSY',
        `cannot move the store while containers run: ${running.join(', ')}`,
        { hint: 'Stop them first (devenv stop).' },
      );
    }
    // A pull or load in flight holds a lease and writes into this root; it would lose its work.
    const users = (await listLeases(ctx)).filter((entry) => entry.stale === undefined && entry.lease);
    if (users.length > 0) {
      const who = users.map(
        ({ lease }) => `pid ${lease?.owner.pid ?? '?'} (${lease?.owner.purpose ?? 'busy'})`,
      );
      throw new DevenvError('DEVENV_BUSY', `cannot move the store while it is in use by ${who.join(', ')}`, {
        hint: 'Wait for that command to finish, then run the move again.',
      });
    }
    await prepareTarget(from, to, staging).catch(async (error: unknown) => {
      throw await cannotMoveTo(error, to);
    });
    await mkdir(path.dirname(to), { recursive: true }).catch(async (error: unknown) => {
      throw await cannotMoveTo(error, to);
    });
    const size = await treeSize(from);
    await ensureFreeSpace(path.dirname(to), size, 'to copy the store');
    try {
      await copyAndVerify(from, staging, progress).catch(async (error: unknown) => {
        throw await cannotMoveTo(error, to);
      });
      if (await exists(to)) await rmdir(to);
      await rename(staging, to);
      await syncDir(path.dirname(to));
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    await failpoint('store.move.after-copy');
    try {
      await options.switchTo(to);
    } catch (error) {
      await rm(to, { recursive: true, force: true });
      throw error;
    }
    await failpoint('store.move.after-switch');
    await rm(path.join(to, MOVE_MARKER), { force: true });
    await writeJsonFile(path.join(from, MOVED_FILE), { to });
    progress(`removing the old store in ${from}`);
    for (const name of await readdir(from)) {
      if (name === MOVED_FILE || name === 'locks') continue;
      await rm(path.join(from, name), { recursive: true, force: true });
      await failpoint('store.move.mid-remove');
    }
    return size;
  });
  await rm(from, { recursive: true, force: true }).catch(() => undefined);
  return { root: to, bytes };
}
