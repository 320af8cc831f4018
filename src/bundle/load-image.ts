/**
 * The second pass of `load`, after the bundle checked out: streams the image part of the archive into
 * the runtime with every name taken out (manifest.json RepoTags, the legacy `repositories` file, the
 * OCI index's name annotations), since `docker load` honours whatever names an archive carries. The
 * image arrives untagged, is checked to be the id bundle.json names, and only then may the caller tag
 * it; an image this load brought in and nobody tagged is removed again on failure.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { EngineContext } from '../engine/engine-context.js';
import { failpoint } from '../util/failpoint.js';
import { BUNDLE_DIR, bundleInvalid } from './names.js';
import type { BundleManifest } from './format.js';
import { packBody, packEntry } from '../util/tar-pack.js';
import { FILE_READ_CHUNK } from '../util/read-chunk.js';

const NAME_ANNOTATIONS = ['io.containerd.image.name', 'org.opencontainers.image.ref.name'];

/** The bytes of a naming file without its names; undefined drops the entry. */
function withoutNames(name: string, data: Buffer): Buffer | undefined {
  if (name === 'repositories') return undefined;
  const value = JSON.parse(data.toString('utf8')) as unknown;
  if (name === 'manifest.json' && Array.isArray(value)) {
    for (const item of value as { RepoTags?: unknown }[]) item.RepoTags = [];
  } else if (name === 'index.json') {
    const manifests = (value as { manifests?: { annotations?: Record<string, string> }[] }).manifests;
    for (const descriptor of manifests ?? []) {
      for (const key of NAME_ANNOTATIONS) delete descriptor.annotations?.[key];
    }
  }
  return Buffer.from(JSON.stringify(value));
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function feedUntagged(ctx: EngineContext, input: Readable, file: string): Promise<void> {
  const images = tar.pack();
  const feed = new PassThrough();
  const loading = ctx.runtime.loadImages(feed, ctx.onEvent);
  const packing = pipeline(images, feed);
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    if (name === BUNDLE_DIR || name.startsWith(`${BUNDLE_DIR}/`)) {
      stream.on('end', () => {
        next();
      });
      stream.resume();
    } else if (['manifest.json', 'repositories', 'index.json'].includes(name)) {
      collect(stream).then((data) => {
        let bytes: Buffer | undefined;
        try {
          bytes = withoutNames(name, data);
        } catch {
          next(bundleInvalid(file, `${name} is not JSON`));
          return;
        }
        if (bytes === undefined) next();
        else packBody(images, { ...header, size: bytes.length }, bytes, next);
      }, next);
    } else {
      stream.pipe(packEntry(images, header, next));
    }
  });
  const read = pipeline(input, extract).then(
    () => {
      images.finalize();
    },
    (error: unknown) => {
      images.destroy();
      feed.destroy();
      throw error;
    },
  );
  // Every promise is awaited, so none of their failures goes unhandled; the first one is reported.
  const results = await Promise.allSettled([read, packing, loading]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * Loads the bundle's image untagged and checks it is `manifest.image.id`. Returns a function that
 * removes the image again (when this load brought it in) for a caller whose later steps fail.
 */
export function loadBundleImage(
  ctx: EngineContext,
  file: string,
  manifest: BundleManifest,
): Promise<() => Promise<void>> {
  return loadUntagged(
    ctx,
    () => createReadStream(file, { highWaterMark: FILE_READ_CHUNK }),
    file,
    manifest.image.id,
  );
}

/**
 * Loads the image archive (or bundle) `open` reads, untagged, and checks it is image `id`; `label`
 * names the archive in errors. `id` is a function where it is only known once the archive has passed
 * (a move rewrites the config on the way); such an image counts as brought in by this load. Returns
 * the undo {@link loadBundleImage} describes.
 */
export async function loadUntagged(
  ctx: EngineContext,
  open: () => Readable,
  label: string,
  id: string | (() => string),
): Promise<() => Promise<void>> {
  const expected = () => (typeof id === 'string' ? id : id());
  const existed = typeof id === 'string' && (await ctx.runtime.inspectImage(id)) !== undefined;
  // Called before the caller tags the image (or after it took its tag back): without force, the
  // runtime refuses while a container or someone else's tag still uses the image.
  const undo = async () => {
    if (!existed && expected() !== '')
      await ctx.runtime.removeImage(expected(), { force: false }).catch(() => undefined);
  };
  try {
    await feedUntagged(ctx, open(), label);
    await failpoint('bundle.load.after-image');
    if ((await ctx.runtime.inspectImage(expected()))?.id !== expected())
      throw bundleInvalid(label, `the image in the archive is not the one bundle.json names (${expected()})`);
  } catch (error) {
    await undo();
    throw error;
  }
  return undo;
}
