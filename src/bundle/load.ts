/**
 * `load`, first step: reads a bundle (or a plain image archive) and verifies the whole bundle without
 * calling any runtime: bundle.json, devenv.yml, every volume and the image part's digests. Nothing
 * reaches the engine here; the image is loaded later, by {@link loadBundleImage}, once the user's
 * consent is settled, and a plain image archive by {@link loadImageArchive}.
 */
import { randomBytes } from '../util/crypto.js';
import { createReadStream } from 'node:fs';
import { rm, stat } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { pipeline } from 'node:stream/promises';
import type { EngineContext } from '../engine/engine-context.js';
import { countBytes } from '../runtime/byte-events.js';
import { BUNDLE_JSON, bundleInvalid } from './names.js';
import type { BundleManifest } from './format.js';
import { holdsDevenvEntries, scanArchive } from './scan.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';
import { FILE_READ_CHUNK } from '../util/read-chunk.js';

export { loadBundleImage } from './load-image.js';

/** What a read bundle holds, after verification; files live in a private folder until `cleanup`. */
export interface ReadBundle {
  file: string;
  /** Undefined for a plain image archive. */
  manifest: BundleManifest | undefined;
  configText: string | undefined;
  volumeFile: (name: string) => string;
  cleanup: () => Promise<void>;
}

/** Reads and verifies `file`; see the module comment. */
export async function readBundle(ctx: EngineContext, file: string): Promise<ReadBundle> {
  const work = path.join(ctx.stateHome, 'tmp', `load-${randomBytes(4).toString('hex')}`);
  const volumes = path.join(work, 'volumes');
  await ensureWritableDir(volumes, STATE_FOLDER, 0o700);
  const cleanup = () => rm(work, { recursive: true, force: true });
  try {
    if (!(await holdsDevenvEntries(file)))
      return { file, manifest: undefined, configText: undefined, volumeFile: () => '', cleanup };
    const scanned = await scanArchive(file, volumes);
    if (!scanned.devenv.has(BUNDLE_JSON)) {
      // devenv/ entries without bundle.json are a damaged bundle, not an image archive to load as is.
      if (scanned.hasDevenvEntries) throw bundleInvalid(file, `${BUNDLE_JSON} is missing`);
      return { file, manifest: undefined, configText: undefined, volumeFile: () => '', cleanup };
    }
    // The bundle's schema (and the library it is written with) loads only for a bundle.
    const { verifyBundle } = await import('./verify.js');
    const { manifest, configText } = verifyBundle(file, scanned);
    return {
      file,
      manifest,
      configText,
      volumeFile: (name) => path.join(volumes, `${name}.tar`),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Loads a plain image archive as `docker load` does, with its own tags; returns what was loaded. */
export async function loadImageArchive(ctx: EngineContext, file: string): Promise<string[]> {
  if (ctx.runtime.loadImagesFromFile !== undefined) return ctx.runtime.loadImagesFromFile(file, ctx.onEvent);
  const { size } = await stat(file);
  const counted = countBytes(file, 'read', ctx.onEvent, { total: size });
  const reading = pipeline(createReadStream(file, { highWaterMark: FILE_READ_CHUNK }), counted);
  const loading = ctx.runtime.loadImages(counted, ctx.onEvent).catch((error: unknown) => {
    // A loader that gave up stops reading: end the file's side too instead of leaving it waiting.
    counted.destroy();
    throw error;
  });
  const [loaded] = await Promise.all([loading, reading.catch(() => loading.then(() => reading))]);
  return loaded;
}
