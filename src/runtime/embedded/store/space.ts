/**
 * Disk-full handling (docs/reliability.md, D1-D6): ENOSPC, EDQUOT and EFBIG become one
 * DEVENV_NO_SPACE error naming the path and, where known, how much was needed and how much was free;
 * large writes of a known size are refused before they start (D6).
 */
import { statfs } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { isNoSpace } from '../../../util/no-space.js';

export { isNoSpace };

/** Megabytes with one decimal, for messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Bytes available to this user on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** The DEVENV_NO_SPACE error for `what` at `file`, keeping the errno error as cause. */
export async function noSpaceError(
  cause: unknown,
  what: string,
  file: string,
  neededBytes?: number,
): Promise<DevenvError> {
  const code = (cause as { code?: string }).code ?? 'ENOSPC';
  const free = await freeBytes(path.dirname(file)).catch(() => undefined);
  const amounts = [
    neededBytes === undefined ? undefined : `need ~${formatBytes(neededBytes)}`,
    free === undefined ? undefined : `free ${formatBytes(free)}`,
  ].filter((part) => part !== undefined);
  const reason =
    code === 'EDQUOT'
      ? 'disk quota exceeded'
      : code === 'EFBIG'
        ? 'file too large'
        : 'no space left on device';
  return new DevenvError(
    'DEVENV_NO_SPACE',
    `${reason} ${what} ${file}${amounts.length > 0 ? ` (${amounts.join(', ')})` : ''}`,
    {
      hint: 'Free some space (devenv prune removes unused images), or move the store with "devenv storage move DIR".',
      cause,
    },
  );
}

/**
 * Runs `action`; an ENOSPC/EDQUOT/EFBIG it raises becomes DEVENV_NO_SPACE for `what` at `file`.
 * Callers remove their own partial output before or after; this only translates the error.
 */
export async function mapNoSpace<T>(
  what: string,
  file: string,
  action: () => Promise<T>,
  neededBytes?: number,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (isNoSpace(error)) throw await noSpaceError(error, what, file, neededBytes);
    throw error;
  }
}

/**
 * Refuses early when the filesystem holding `dir` has less than `bytes` (plus a small margin for
 * metadata) free, so a long download or copy does not fail near its end.
 */
export async function ensureFreeSpace(dir: string, bytes: number, what: string): Promise<void> {
  const margin = 1024 * 1024;
  const free = await freeBytes(dir);
  if (free < bytes + margin) {
    throw new DevenvError(
      'DEVENV_NO_SPACE',
      `not enough space ${what} in ${dir} (need ~${formatBytes(bytes + margin)}, free ${formatBytes(free)})`,
      {
        hint: 'Free some space (devenv prune removes unused images), or move the store with "devenv storage move DIR".',
      },
    );
  }
}
