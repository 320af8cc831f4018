/**
 * `load`: reads a bundle (or a plain image archive) in one pass. Image entries stream into the
 * runtime's image loader; the devenv/ entries go to a private temp folder. Nothing is restored until
 * bundle.json, devenv.yml and every volume have been verified against their digests.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { EngineContext } from '../engine/context.js';
import { DevenvError } from '../errors.js';
import { failpoint } from '../util/failpoint.js';
import { hashFile, sha256Of } from '../util/hash-file.js';
import { BUNDLE_CONFIG, BUNDLE_DIR, BUNDLE_JSON, BundleManifestSchema } from './format.js';
import type { BundleManifest } from './format.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';

/** What a read bundle holds, after verification; files live in `work` until `cleanup`. */
export interface ReadBundle {
  /** Undefined for a plain image archive. */
  manifest: BundleManifest | undefined;
  configText: string | undefined;
  /** References the runtime loaded. */
  loaded: string[];
  volumeFile: (name: string) => string;
  cleanup: () => Promise<void>;
}

function bad(file: string, what: string): DevenvError {
  return new DevenvError('DEVENV_BUNDLE_INVALID', `${file}: ${what}`, {
    hint: 'the file is damaged or not a devenv bundle; save it again on the source machine',
  });
}

/** Reads and verifies `file`, loading its image into the runtime. */
export async function readBundle(ctx: EngineContext, file: string): Promise<ReadBundle> {
  const work = path.join(ctx.stateHome, 'tmp', `load-${randomBytes(4).toString('hex')}`);
  await ensureWritableDir(path.join(work, 'volumes'), STATE_FOLDER, 0o700);
  const cleanup = () => rm(work, { recursive: true, force: true });
  try {
    const images = tar.pack();
    const feed = new PassThrough();
    // Both run while the archive is read; their failures are collected, never left unhandled.
    const loading = ctx.runtime.loadImages(feed, ctx.onEvent).then(
      (refs) => ({ refs }),
      (error: unknown) => ({ error }),
    );
    const packing = pipeline(images, feed).then(
      () => undefined,
      (error: unknown) => error,
    );
    const extract = tar.extract();
    const small = new Map<string, Buffer>();
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      if (name === BUNDLE_JSON || name === BUNDLE_CONFIG) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          small.set(name, Buffer.concat(chunks));
          next();
        });
      } else if (/^devenv\/volumes\/[a-zA-Z0-9][a-zA-Z0-9_.-]*\.tar$/.test(name) && !name.includes('..')) {
        pipeline(
          stream,
          createWriteStream(path.join(work, 'volumes', path.basename(name)), { mode: 0o600 }),
        ).then(() => {
          next();
        }, next);
      } else if (name === BUNDLE_DIR || name.startsWith(`${BUNDLE_DIR}/`)) {
        stream.resume();
        stream.on('end', () => {
          next();
        });
      } else {
        stream.pipe(images.entry(header, next));
      }
    });
    const read = await pipeline(createReadStream(file), extract).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (read !== undefined) {
      images.destroy();
      feed.destroy();
      await Promise.all([packing, loading]);
      throw bad(
        file,
        `not a readable tar archive (${read instanceof Error ? read.message : 'unknown error'})`,
      );
    }
    images.finalize();
    const packed = await packing;
    const result = await loading;
    if ('error' in result)
      throw result.error instanceof Error ? result.error : new Error(String(result.error));
    if (packed !== undefined)
      throw packed instanceof Error ? packed : new Error('could not repack the image archive');
    const loaded = result.refs;
    await failpoint('bundle.load.after-image');

    const json = small.get(BUNDLE_JSON);
    if (json === undefined) {
      return { manifest: undefined, configText: undefined, loaded, volumeFile: () => '', cleanup };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(json.toString('utf8'));
    } catch {
      throw bad(file, 'bundle.json is not JSON');
    }
    const parsed = BundleManifestSchema.safeParse(raw);
    if (!parsed.success)
      throw bad(
        file,
        `bundle.json is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const manifest = parsed.data;
    const config = small.get(BUNDLE_CONFIG);
    if (config === undefined || sha256Of(config) !== manifest.config.digest)
      throw bad(file, 'devenv.yml is missing or does not match its digest');
    for (const volume of manifest.volumes) {
      const stored = path.join(work, 'volumes', path.basename(volume.file));
      const digest = await hashFile(stored).then(
        (h) => h.digest,
        () => undefined,
      );
      if (digest !== manifest.volumes.find((v) => v.name === volume.name)?.digest)
        throw bad(file, `volume ${volume.name} is missing or does not match its digest`);
    }
    const image = await ctx.runtime.inspectImage(manifest.image.ref);
    if (image?.id !== manifest.image.id)
      throw bad(file, `the image in the archive is not the one bundle.json names (${manifest.image.id})`);
    return {
      manifest,
      configText: config.toString('utf8'),
      loaded,
      volumeFile: (name) => path.join(work, 'volumes', `${name}.tar`),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
