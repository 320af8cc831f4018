/**
 * The first pass of `load`: reads the whole archive once without calling any runtime. The devenv/
 * files are kept (bundle.json and devenv.yml in memory, volume tars in a private folder, hashed as
 * they are written); every entry of the image part is hashed, and its small files (manifests,
 * configs) are kept, so the bundle can be verified whole before the engine sees any of it.
 */
import { createHash } from '../util/crypto.js';
import { createReadStream, createWriteStream } from 'node:fs';
import path from '../util/node-path.js';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';
import { DevenvError } from '../errors.js';
import { asFsError } from '../util/fs-problem.js';
import { BUNDLE_CONFIG, BUNDLE_DIR, BUNDLE_JSON, bundleInvalid } from './names.js';
import { FILE_READ_CHUNK } from '../util/read-chunk.js';
import { tarFileHeaders } from '../image/layer/tar-file-headers.js';

/** Errnos that say the path to the bundle is wrong rather than the bundle. */
const READ_ERRNOS = new Set(['ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ELOOP']);

/** bundle.json and devenv.yml are text files of a few kilobytes. */
const SMALL_DEVENV_FILE = 1024 * 1024;
/** Image configs and manifests are kept in memory; layers are only hashed. */
const SMALL_IMAGE_FILE = 1024 * 1024;
const SMALL_IMAGE_TOTAL = 64 * 1024 * 1024;
const VOLUME_ENTRY = /^devenv\/volumes\/[a-zA-Z0-9][a-zA-Z0-9_.-]*\.tar$/;

/** One entry of the image part. */
export interface ImageEntry {
  /** `sha256:<hex>` of a file's bytes. */
  digest?: string | undefined;
  /** The bytes of a small file. */
  data?: Buffer | undefined;
  /** Where a link entry points, as an archive path. */
  link?: string | undefined;
}

/** What the first pass found. */
export interface ScannedArchive {
  image: Map<string, ImageEntry>;
  /** bundle.json and devenv.yml, when present. */
  devenv: Map<string, Buffer>;
  /** Volume tars by file name in `volumesDir`, with their digest and size. */
  volumes: Map<string, { digest: string; size: number }>;
  /** Whether any devenv/ entry exists (a bundle that lost its bundle.json is not an image archive). */
  hasDevenvEntries: boolean;
}

function hashing(onDone: (digest: string, size: number) => void): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      onDone(`sha256:${hash.digest('hex')}`, size);
      callback();
    },
  });
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads `file` once; volume tars land in `volumesDir`. Throws DEVENV_BUNDLE_INVALID on any damage. */
export async function scanArchive(file: string, volumesDir: string): Promise<ScannedArchive> {
  const scanned: ScannedArchive = {
    image: new Map(),
    devenv: new Map(),
    volumes: new Map(),
    hasDevenvEntries: false,
  };
  const seen = new Set<string>();
  let heldBytes = 0;
  const extract = tar.extract();
  const handle = async (
    header: Header,
    stream: AsyncIterable<unknown> & { resume: () => void },
  ): Promise<void> => {
    const name = path.posix.normalize(header.name.replace(/^\.\//, '')).replace(/\/$/, '');
    // A name given twice means two readers could see two different files; refuse rather than pick.
    if (seen.has(name) && header.type !== 'directory')
      throw bundleInvalid(file, `${name} appears twice in the archive`);
    seen.add(name);
    if (name === BUNDLE_DIR || name.startsWith(`${BUNDLE_DIR}/`)) {
      scanned.hasDevenvEntries = true;
      if (name === BUNDLE_JSON || name === BUNDLE_CONFIG) {
        if (header.size > SMALL_DEVENV_FILE)
          throw bundleInvalid(file, `${name} is larger than ${SMALL_DEVENV_FILE} bytes`);
        scanned.devenv.set(name, await collect(stream));
      } else if (header.type === 'file' && VOLUME_ENTRY.test(name) && !name.includes('..')) {
        const base = path.posix.basename(name);
        await pipeline(
          stream,
          hashing((digest, size) => scanned.volumes.set(base, { digest, size })),
          createWriteStream(path.join(volumesDir, base), { mode: 0o600 }),
        );
      } else {
        stream.resume();
      }
      return;
    }
    if (header.type === 'symlink' || header.type === 'link') {
      const target = header.linkname;
      const resolved = header.type === 'symlink' ? path.posix.join(path.posix.dirname(name), target) : target;
      scanned.image.set(name, { link: path.posix.normalize(resolved) });
      stream.resume();
      return;
    }
    if (header.type !== 'file') {
      stream.resume();
      return;
    }
    const small = header.size <= SMALL_IMAGE_FILE;
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      if (small) chunks.push(chunk);
    }
    scanned.image.set(name, {
      digest: `sha256:${hash.digest('hex')}`,
      data: small ? Buffer.concat(chunks) : undefined,
    });
    if (small) {
      heldBytes += header.size;
      if (heldBytes > SMALL_IMAGE_TOTAL)
        throw bundleInvalid(file, 'the image part holds too many small files to check');
    }
  };
  extract.on('entry', (header, stream, next) => {
    handle(header, stream).then(
      () => {
        next();
      },
      (error: unknown) => {
        stream.resume();
        extract.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
  try {
    await pipeline(createReadStream(file, { highWaterMark: FILE_READ_CHUNK }), extract);
  } catch (error) {
    if (error instanceof DevenvError) throw error;
    throw await readProblem(file, error);
  }
  return scanned;
}

/** The error for a bundle that could not be read: a wrong path is the user's to fix, not damage. */
async function readProblem(file: string, error: unknown): Promise<unknown> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new DevenvError('DEVENV_NOT_FOUND', `${file} does not exist`, {
      hint: 'check the path of the bundle (devenv save -o FILE writes one)',
    });
  if (code !== undefined && READ_ERRNOS.has(code))
    return asFsError(error, file, `cannot read ${file}`, 'check the path of the bundle and its mode');
  const why = error instanceof Error ? error.message : 'unknown error';
  return bundleInvalid(file, `not a readable tar archive (${why})`);
}

/**
 * Whether `file` holds any devenv/ entry, from its headers alone (bodies are seeked over, never
 * read). Without one it is a plain image archive: the runtime's loader reads and checks it whole,
 * and a first pass that hashed every layer would only read it twice. A name given twice is refused
 * here as {@link scanArchive} refuses it.
 */
export async function holdsDevenvEntries(file: string): Promise<boolean> {
  const seen = new Set<string>();
  try {
    for await (const header of tarFileHeaders(file)) {
      const name = path.posix.normalize(header.name.replace(/^\.\//, '')).replace(/\/$/, '');
      if (name === BUNDLE_DIR || name.startsWith(`${BUNDLE_DIR}/`)) return true;
      if (seen.has(name) && header.type !== 'directory')
        throw bundleInvalid(file, `${name} appears twice in the archive`);
      seen.add(name);
    }
    return false;
  } catch (error) {
    if (error instanceof DevenvError && error.code !== 'DEVENV_ARCHIVE_INVALID') throw error;
    throw await readProblem(file, error);
  }
}
