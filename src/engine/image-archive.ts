/**
 * `devenv save IMAGE -o FILE`: an image alone, as a `docker save` archive, from either runtime. It is
 * written to `FILE.partial`, fsynced and renamed, so FILE is complete or absent (docs/reliability.md, rule 4);
 * a crash leaves at most the partial file, which the next save overwrites.
 */
import { createWriteStream } from 'node:fs';
import { rm } from '../util/fs-async.js';
import { DevenvError, isDevenvError } from '../errors.js';
import { commitPartial } from '../util/atomic.js';
import { isNoSpace } from '../util/no-space.js';
import type { EngineContext } from './engine-context.js';

/** True when `name` is an image and no environment (container) of that name exists. */
export async function isImageOnly(ctx: EngineContext, name: string): Promise<boolean> {
  try {
    if ((await ctx.runtime.inspectContainer(name)) !== undefined) return false;
  } catch (error) {
    // A runtime without containers (the embedded one, for now) has no environment of that name.
    if (!isDevenvError(error) || error.code !== 'DEVENV_UNSUPPORTED') throw error;
  }
  return (await ctx.runtime.inspectImage(name)) !== undefined;
}

/** Writes the archive of `refs` to `file` (see the module comment). */
export async function saveImageArchive(
  ctx: EngineContext,
  refs: readonly string[],
  file: string,
): Promise<void> {
  const partial = `${file}.partial`;
  try {
    if (ctx.runtime.saveImagesToFile !== undefined)
      await ctx.runtime.saveImagesToFile(refs, partial, ctx.onEvent);
    else await ctx.runtime.saveImages(refs, createWriteStream(partial, { mode: 0o644 }), ctx.onEvent);
    await commitPartial(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    if (isNoSpace(error))
      throw new DevenvError('DEVENV_NO_SPACE', `no space left on device writing ${file}`, {
        hint: 'free some space or write the archive somewhere else with -o',
        cause: error,
      });
    throw error;
  }
}
