/**
 * `load`: imports a docker save archive (legacy or combined) or an OCI layout into the store. The
 * archive is indexed into a scratch directory on the store's filesystem, every JSON document, blob
 * digest and uncompressed diff ID is checked, then blobs, layers and image records are stored under a
 * lease, and only when everything is stored are the tags written, in one step (docs/reliability.md,
 * C3). A failure leaves no tag and no image record; what was stored is collectable by prune.
 */
import { randomBytes } from '../../../util/crypto.js';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { Readable } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import type { EventSink } from '../../events.js';
import { familiarTag } from '../../../image/reference.js';
import { currentOwner } from '../store/owner.js';
import { ensureFreeSpace, mapNoSpace } from '../store/space.js';
import type { ImageRecord } from '../store/schemas.js';
import type { Store } from '../store/store.js';
import type { CreateLayerInput } from '../store/layers.js';
import type { ArchiveIndex } from '../../../image/archive/archive-index.js';
import { invalidArchive } from '../../../image/archive/archive-index.js';
import { indexDirectory } from '../../../image/archive/dir-index.js';
import { invalidDiffId } from '../../../image/archive/archive-plan.js';
import type { PlannedImage } from '../../../image/archive/archive-plan.js';
import { ociArchitecture } from '../../../image/oci/platform.js';
import { planDockerArchive } from '../../../image/archive/read-docker.js';
import { indexTar, indexTarFile } from '../../../image/archive/tar-index.js';
import { BYTE_EVENT_INTERVAL_MS } from '../../byte-events.js';
import { byteProgress } from '../../../util/byte-progress.js';
import { FILE_READ_CHUNK } from '../../../util/read-chunk.js';

declareFailpoints('archive.import.before-tag');

/** Options of an import. */
export interface ImportOptions {
  onEvent?: EventSink | undefined;
  /** OCI architecture to pick from multi-platform indexes; default the host's. */
  architecture?: string | undefined;
}

/** What an import stored: each image with its tags (familiar form). */
export interface ImportResult {
  images: { id: string; tags: string[] }[];
  /** What `docker load` prints per image: the tags, or the ID of an untagged image. */
  loaded: string[];
}

async function plan(index: ArchiveIndex, architecture: string): Promise<PlannedImage[]> {
  if (index.entries.has('manifest.json')) return planDockerArchive(index);
  if (index.entries.has('index.json')) {
    // The OCI reader (and the schema library it uses) loads only for an OCI layout.
    const { planOciLayout } = await import('../../../image/archive/read-oci.js');
    // arm64 images carry the variant v8 (or none); platformScore accepts either for this target.
    return planOciLayout(index, {
      os: 'linux',
      architecture,
      variant: architecture === 'arm64' ? 'v8' : undefined,
    });
  }
  throw invalidArchive(
    `${index.source} is neither a docker save archive nor an OCI layout (no manifest.json or index.json)`,
  );
}

async function storeLayers(
  store: Store,
  image: PlannedImage,
  lease: Awaited<ReturnType<Store['createLease']>>,
  onEvent: EventSink,
  copy: boolean,
) {
  let parent: string | undefined;
  for (const [i, layer] of image.layers.entries()) {
    const expected = { digest: layer.digest, size: layer.size };
    // An archive may name one blob several times (shared base layers); the first use stores it.
    const storedNow = !(await store.blobs.retain(layer.digest, lease));
    let source: CreateLayerInput['source'];
    if (storedNow && !copy && layer.plainTar && sameBlob(layer.entry, expected)) {
      // A plain tar copied to scratch and hashed on the way: the layer is unpacked from the copy
      // while the disk flushes it, and the copy becomes the stored blob just before the layer does.
      const { file } = layer.entry;
      source = {
        file,
        store: () => store.blobs.adopt(file, expected, lease, expected).then(() => undefined),
      };
    } else if (storedNow) {
      // Scratch files of a tar are renamed into the store; a layout directory's files are copied.
      if (copy)
        await store.blobs.ingest(
          expected,
          () => createReadStream(layer.entry.file, { highWaterMark: FILE_READ_CHUNK }),
          { lease },
        );
      else {
        // indexTar hashed the scratch file as it wrote it: no second read of the layer.
        const { digest, size } = layer.entry;
        const hashed = digest === undefined ? undefined : { digest, size };
        await store.blobs.adopt(layer.entry.file, expected, lease, hashed);
      }
    }
    onEvent({
      type: 'transfer:progress',
      id: layer.digest,
      phase: 'extract',
      current: 0,
      total: layer.size,
    });
    const blob = { digest: layer.digest, mediaType: layer.mediaType, size: layer.size };
    // A plain tar stored just now was hashed on the way in, and its digest is its diff ID (planLayers
    // checked): unpacking it needs no second hash.
    const hashedPlainTar = storedNow && layer.plainTar;
    try {
      parent = (
        await store.layers.create({
          parent,
          blob,
          expectedDiffId: layer.diffId,
          hashedPlainTar,
          source,
          lease,
        })
      ).chainId;
    } catch (error) {
      const got = /got (sha256:[a-f0-9]{64})/.exec((error as Error).message)?.[1];
      if (error instanceof DevenvError && error.code === 'DEVENV_DIGEST_MISMATCH' && got !== undefined)
        throw invalidDiffId(i, layer.diffId, got);
      throw error;
    }
    onEvent({ type: 'transfer:done', id: layer.digest, phase: 'extract' });
  }
}

/** Whether a scratch copy hashed as it was written holds exactly the expected blob. */
function sameBlob(
  copied: { digest?: string | undefined; size: number },
  expected: { digest: string; size: number },
) {
  return copied.digest === expected.digest && copied.size === expected.size;
}

async function storeAll(
  store: Store,
  index: ArchiveIndex,
  images: PlannedImage[],
  options: ImportOptions,
  copy: boolean,
): Promise<ImportResult> {
  const onEvent = options.onEvent ?? (() => undefined);
  const layerBytes = images.flatMap((image) => image.layers).reduce((sum, layer) => sum + layer.size, 0);
  await ensureFreeSpace(store.paths.layersDir, layerBytes, `to unpack the layers of ${index.source}`);
  const lease = await store.createLease(`importing ${index.source}`);
  const created: string[] = [];
  try {
    for (const image of images) await storeLayers(store, image, lease, onEvent, copy);
    const records: ImageRecord[] = [];
    for (const image of images) {
      if ((await store.images.get(image.configDigest)) === undefined) created.push(image.configDigest);
      const layers = image.layers.map(({ digest, mediaType, size }) => ({ digest, mediaType, size }));
      if (image.manifest !== undefined) await store.blobs.write(image.manifest.bytes, { lease });
      const manifestDigests = image.manifest === undefined ? [] : [image.manifest.digest];
      records.push(await store.images.put({ config: image.config, layers, manifestDigests, lease }));
    }
    await failpoint('archive.import.before-tag');
    const tags = images.flatMap((image, i) => image.tags.map((name) => ({ name, id: records[i]?.id ?? '' })));
    if (tags.length > 0) await store.refs.set(tags);
    created.length = 0;
    const result = images.map((image, i) => ({
      id: records[i]?.id ?? '',
      tags: image.tags.map(familiarTag),
    }));
    for (const image of result)
      onEvent({
        type: 'info',
        message:
          image.tags.length > 0
            ? image.tags.map((t) => `Loaded image: ${t}`).join('\n')
            : `Loaded image ID: ${image.id}`,
      });
    return {
      images: result,
      loaded: result.flatMap((image) => (image.tags.length > 0 ? image.tags : [image.id])),
    };
  } finally {
    // A failed import leaves no image record behind; its blobs and layers go with the next prune.
    // A record another process tagged meanwhile (the same image loaded twice at once) is theirs.
    for (const id of created) {
      await store.ctx
        .withStoreLock('dropping an unfinished import', async () => {
          if ((await store.refs.tagsOf(id)).length === 0) await store.images.remove(id);
        })
        .catch(() => undefined);
    }
    await lease.release();
  }
}

/** Creates `tmp/<purpose>-<rand>/` with an owner record, so doctor can tell a dead import's leftovers. */
export async function scratchDir(store: Store, purpose: string): Promise<string> {
  const dir = path.join(store.paths.tmpDir, `${purpose}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  await writeFile(path.join(dir, 'owner.json'), JSON.stringify(await currentOwner(store.ctx.now(), purpose)));
  await mkdir(path.join(dir, 'files'));
  return dir;
}

/**
 * Imports a docker save archive or an OCI layout tar: read from a stream, or from a file, which is
 * read in place (indexTarFile) and whose read progress is reported against its size.
 */
export async function importArchive(
  store: Store,
  input: Readable | { file: string },
  options: ImportOptions = {},
): Promise<ImportResult> {
  const scratch = await scratchDir(store, 'import');
  // The layer applier loads and a new store probes its layer mode while the archive is read.
  store.layers.warm();
  try {
    const onEvent = options.onEvent ?? (() => undefined);
    const files = path.join(scratch, 'files');
    const index = await mapNoSpace('extracting the archive into', files, () =>
      'file' in input
        ? indexArchiveFile(input.file, files, onEvent)
        : indexTar(input, files, (bytes) => {
            onEvent({ type: 'transfer:progress', id: 'archive', phase: 'read', current: bytes });
          }),
    );
    const images = await plan(index, options.architecture ?? ociArchitecture(process.arch));
    return await storeAll(store, index, images, options, false);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** indexTarFile, reporting the bytes read as a read stream of the file would (countBytes). */
async function indexArchiveFile(file: string, scratch: string, onEvent: EventSink): Promise<ArchiveIndex> {
  const { size: total } = await stat(file);
  const progress = byteProgress({
    intervalMs: BYTE_EVENT_INTERVAL_MS,
    now: Date.now,
    report: (current) => {
      onEvent({ type: 'transfer:progress', id: file, phase: 'read', current, total });
    },
  });
  const index = await indexTarFile(file, scratch, (bytes) => {
    progress.add(bytes - progress.total);
  });
  onEvent({ type: 'transfer:progress', id: file, phase: 'read', current: progress.total, total });
  onEvent({ type: 'transfer:done', id: file, phase: 'read' });
  return index;
}

/** Imports an OCI layout directory (left unchanged). */
export async function importLayoutDirectory(
  store: Store,
  dir: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const index = await indexDirectory(dir);
  const images = await plan(index, options.architecture ?? ociArchitecture(process.arch));
  return storeAll(store, index, images, options, true);
}
