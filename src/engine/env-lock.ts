/**
 * The per-environment lock. Every command that changes an environment (up, build, start, stop,
 * restart, rm, load, and save's commit) holds it while it works, so two of them never interleave
 * their docker calls: an `rm -f` racing an `up -d` either runs before the create or after the start,
 * never between them. It covers only that work, never an attached session: a terminal someone sits
 * in for hours must not block everyone else.
 */
import path from '../util/node-path.js';
import { failpoint } from '../util/failpoint.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';
import { withLock } from '../util/lock.js';
import type { EngineContext } from './engine-context.js';

/**
 * Where the lock of `name` lives. Outside the environment's state folder on purpose: `rm --volumes`
 * deletes that folder, and unlinking a lock file while someone waits on it would let a newcomer lock
 * a fresh file beside the waiter, so both would think they hold it.
 */
export function envLockFile(stateHome: string, name: string): string {
  return path.join(stateHome, 'locks', name);
}

/** A build can take long; a waiter is told who it waits for and can press ctrl-c. */
const WAIT_LIMIT_MS = 60 * 60 * 1000;

/**
 * Runs `action` holding the lock of environment `name`; `purpose` (such as `devenv rm`) is what a
 * waiter is told. Re-entrant: `restart` may call stop and start, which lock too.
 */
export async function withEnvLock<T>(
  ctx: Pick<EngineContext, 'stateHome' | 'onEvent' | 'signal'>,
  name: string,
  purpose: string,
  action: () => Promise<T>,
): Promise<T> {
  const file = envLockFile(ctx.stateHome, name);
  await ensureWritableDir(path.dirname(file), STATE_FOLDER);
  return withLock(
    file,
    {
      purpose: `${purpose} ${name}`,
      timeoutMs: WAIT_LIMIT_MS,
      // ctrl-c while waiting ends the wait (exit 130), not the hour-long limit.
      signal: ctx.signal,
      onWait: (holder) => {
        ctx.onEvent({ type: 'info', message: `waiting for ${holder} to finish with ${name}` });
      },
    },
    async () => {
      await failpoint('env.lock.held');
      return action();
    },
  );
}
