/**
 * Rewrites a `docker save` stream on its way into a bundle: every image config loses the environment
 * variables that must not travel (proxy values, DISPLAY…), and the image is renamed. Layers stream
 * through untouched; the small JSON files (configs, manifests, index) are held back, rewritten with
 * their new digests, and written last, which `docker load` accepts because it reads the whole archive
 * before interpreting it. Works for the legacy (Docker <= 24) and the combined (>= 25) layouts.
 */
import { createHash } from '../util/crypto.js';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Pack } from 'tar-stream';
import { DevenvError } from '../errors.js';
import { formatReference, parseReference } from '../image/reference.js';
import { packBody, packEntry } from '../util/tar-pack.js';

const SMALL = 4 * 1024 * 1024;

export interface RewriteOptions {
  /** Variable names to drop from every config's Env. */
  dropEnv: ReadonlySet<string>;
  /** The image's name inside the archive (`devenv/box:latest`). */
  tag: string;
}

/** The config's new id, once the archive has passed. */
export interface RewriteResult {
  imageId: string;
}

type Json = Record<string, unknown>;

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function stripEnv(config: Json, drop: ReadonlySet<string>): void {
  for (const key of ['config', 'container_config', 'ContainerConfig', 'Config']) {
    const section: unknown = config[key];
    if (typeof section !== 'object' || section === null) continue;
    const env: unknown = (section as { Env?: unknown }).Env;
    if (Array.isArray(env)) {
      (section as { Env: unknown[] }).Env = env.filter(
        (e) => typeof e !== 'string' || !drop.has(e.split('=')[0] ?? ''),
      );
    }
  }
}

function isConfig(value: unknown): value is Json {
  return (
    typeof value === 'object' &&
    value !== null &&
    'rootfs' in value &&
    ('config' in value || 'architecture' in value)
  );
}

function parse(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Reads a docker save archive from `input` and writes the rewritten entries into `pack` (which the
 * caller finalizes, after adding its own entries). Resolves with the new image id.
 */
export async function rewriteImageArchive(
  input: Readable,
  pack: Pack,
  options: RewriteOptions,
): Promise<RewriteResult> {
  const held = new Map<string, Buffer>();
  const extract = tar.extract();
  const passed = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      // A stream that stops inside an entry (docker save killed by ctrl-c) errors the entry too; the
      // extract's own error rejects this promise, so these must not become uncaught exceptions.
      stream.on('error', () => undefined);
      if (header.type === 'file' && header.size <= SMALL) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          held.set(header.name, Buffer.concat(chunks));
          next();
        });
        return;
      }
      const entry = packEntry(pack, header, next);
      stream.pipe(entry);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  input.on('error', (error) => {
    extract.destroy(error);
  });
  input.pipe(extract);
  await passed;

  // 1. Configs: strip env, compute the new digest.
  const renamed = new Map<string, { name: string; digest: string; size: number }>();
  let imageId: string | undefined;
  // Iterate over a snapshot: renamed entries are added back to the map.
  for (const [name, data] of [...held]) {
    const value = parse(data);
    if (!isConfig(value)) continue;
    stripEnv(value, options.dropEnv);
    const text = Buffer.from(JSON.stringify(value));
    const hex = sha(text);
    const newName = name.startsWith('blobs/sha256/')
      ? `blobs/sha256/${hex}`
      : name.endsWith('.json')
        ? `${hex}.json`
        : name;
    held.delete(name);
    held.set(newName, text);
    renamed.set(name, { name: newName, digest: `sha256:${hex}`, size: text.length });
    renamed.set(`sha256:${name.replace(/^blobs\/sha256\//, '').replace(/\.json$/, '')}`, {
      name: newName,
      digest: `sha256:${hex}`,
      size: text.length,
    });
    imageId = `sha256:${hex}`;
  }
  if (imageId === undefined)
    throw new DevenvError('DEVENV_ARCHIVE_INVALID', 'the image archive holds no image config');

  // Legacy per-layer v1 json files carry the container config too; they are not content-addressed.
  for (const [name, data] of held) {
    if (!/^[0-9a-f]{64}\/json$/.test(name)) continue;
    const value = parse(data) as Json | undefined;
    if (value === undefined) continue;
    stripEnv(value, options.dropEnv);
    held.set(name, Buffer.from(JSON.stringify(value)));
  }

  // 2. OCI manifests that point at a renamed config get new digests too.
  const manifestRenames = new Map<string, { digest: string; size: number }>();
  for (const [name, data] of [...held]) {
    const value = parse(data) as { config?: { digest?: string; size?: number } } | undefined;
    const old = value?.config?.digest;
    if (
      value?.config === undefined ||
      old === undefined ||
      !renamed.has(old) ||
      !name.startsWith('blobs/sha256/')
    )
      continue;
    const target = renamed.get(old);
    if (target === undefined) continue;
    value.config.digest = target.digest;
    value.config.size = target.size;
    const text = Buffer.from(JSON.stringify(value));
    const hex = sha(text);
    held.delete(name);
    held.set(`blobs/sha256/${hex}`, text);
    manifestRenames.set(`sha256:${name.slice('blobs/sha256/'.length)}`, {
      digest: `sha256:${hex}`,
      size: text.length,
    });
  }

  // 3. manifest.json, index.json and repositories: new names and the bundle's tag.
  const [repo = options.tag, tag = 'latest'] = options.tag.split(/:(?=[^:/]+$)/);
  const manifest = parse(held.get('manifest.json') ?? Buffer.from('')) as
    { Config?: string; RepoTags?: string[] }[] | undefined;
  if (!Array.isArray(manifest) || manifest.length !== 1)
    throw new DevenvError(
      'DEVENV_ARCHIVE_INVALID',
      'the image archive must hold exactly one image (manifest.json)',
    );
  const entry = manifest[0] ?? {};
  entry.Config = renamed.get(entry.Config ?? '')?.name ?? entry.Config;
  entry.RepoTags = [options.tag];
  held.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  const repositories = parse(held.get('repositories') ?? Buffer.from('')) as
    Record<string, Record<string, string>> | undefined;
  if (repositories !== undefined) {
    const top = Object.values(Object.values(repositories)[0] ?? {})[0];
    if (top !== undefined) held.set('repositories', Buffer.from(JSON.stringify({ [repo]: { [tag]: top } })));
  }
  const index = parse(held.get('index.json') ?? Buffer.from('')) as
    { manifests?: { digest?: string; size?: number; annotations?: Record<string, string> }[] } | undefined;
  if (index?.manifests !== undefined) {
    for (const descriptor of index.manifests) {
      const next = manifestRenames.get(descriptor.digest ?? '');
      if (next !== undefined) Object.assign(descriptor, next);
      const full = parseReference(options.tag);
      const qualified = typeof full === 'string' ? options.tag : formatReference(full);
      descriptor.annotations = {
        ...descriptor.annotations,
        'io.containerd.image.name': qualified,
        'org.opencontainers.image.ref.name': tag,
      };
    }
    held.set('index.json', Buffer.from(JSON.stringify(index)));
  }

  for (const [name, data] of [...held].sort(([a], [b]) => a.localeCompare(b))) {
    packBody(pack, { name, size: data.length, mode: 0o644, mtime: new Date(0) }, data);
  }
  return { imageId };
}
