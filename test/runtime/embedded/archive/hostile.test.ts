/**
 * Hostile archives (docs/reliability.md, T13, T14, T15), generated here with tar-stream. Each must
 * fail with a clear error, read nothing outside the archive (a victim file beside the store keeps
 * its content and no stored file holds its bytes: go-archive's testBreakout oracle), tag nothing,
 * store no image, leave no scratch files, and leave a store the checker calls clean.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { importArchive } from '../../../../src/runtime/embedded/archive/index.js';
import { checkStore } from '../../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import type { TarEntry } from '../store/helpers/fixtures.js';
import {
  cleanupDirs,
  freshStore,
  makeConfig,
  makeLayer,
  makeTar,
  sha256,
} from '../store/helpers/fixtures.js';
import { blobEntry, descriptor, legacyParts, ociImage, ociLayoutParts } from './helpers/archives.js';

afterAll(cleanupDirs);

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : e.isFile() ? [full] : [];
  });
}

/**
 * Imports `archive` into a fresh store with a victim file beside it, once as a stream and once from
 * a file (read in place); checks the common oracle after each. Returns the second store.
 */
async function expectRefused(
  archive: Buffer,
  message: RegExp,
  code = 'DEVENV_ARCHIVE_INVALID',
): Promise<Store> {
  let store: Store | undefined;
  for (const how of ['stream', 'file'] as const) {
    store = await freshStore();
    const victim = path.join(path.dirname(store.root), 'victim');
    const secret = randomBytes(64).toString('hex');
    writeFileSync(victim, secret);
    const before = statSync(victim);
    const file = path.join(path.dirname(store.root), 'archive.tar');
    writeFileSync(file, archive);
    const input = how === 'stream' ? Readable.from([archive]) : { file };
    await expect(importArchive(store, input), how).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message) as unknown,
    });
    expect(readFileSync(victim, 'utf8')).toBe(secret);
    expect(statSync(victim).mtimeMs).toBe(before.mtimeMs);
    for (const stored of filesUnder(store.root))
      expect(readFileSync(stored).includes(secret), stored).toBe(false);
    expect(await store.refs.all()).toEqual({});
    expect(await store.images.list()).toEqual([]);
    expect(readdirSync(store.paths.tmpDir)).toEqual([]);
    expect((await checkStore(store.root)).issues).toEqual([]);
  }
  if (store === undefined) throw new Error('unreachable');
  return store;
}

async function baseImage() {
  const layer = await makeLayer({ 'etc/hostname': 'h\n' }, false);
  return { layer, parts: legacyParts([{ layers: [layer], tags: ['evil:1'] }]) };
}

function withManifest(entries: TarEntry[], manifest: unknown): TarEntry[] {
  return entries.map((e) =>
    e.name === 'manifest.json' ? { name: 'manifest.json', content: JSON.stringify(manifest) } : e,
  );
}

function manifestOf(entries: TarEntry[]): { Config: string; RepoTags: string[]; Layers: string[] }[] {
  return JSON.parse(String(entries.find((e) => e.name === 'manifest.json')?.content)) as {
    Config: string;
    RepoTags: string[];
    Layers: string[];
  }[];
}

describe('hostile docker save archives (T14)', () => {
  it.each([
    ['../../../etc/shadow', /layer 0 path "..\/..\/..\/etc\/shadow" points outside the archive/],
    ['../victim', /points outside the archive/],
    ['/etc/passwd', /layer 0 path "\/etc\/passwd" points outside the archive/],
    ['nowhere/layer.tar', /layer 0 "nowhere\/layer.tar" is not in the archive/],
  ])('a layer path %j is refused', async (layerPath, message) => {
    const { parts } = await baseImage();
    const manifest = manifestOf(parts.entries);
    manifest[0]!.Layers = [layerPath];
    await expectRefused(await makeTar(withManifest(parts.entries, manifest)), message);
  });

  it('an absolute Config path is refused', async () => {
    const { parts } = await baseImage();
    const manifest = manifestOf(parts.entries);
    manifest[0]!.Config = '/etc/passwd';
    await expectRefused(
      await makeTar(withManifest(parts.entries, manifest)),
      /Config path "\/etc\/passwd" points outside the archive/,
    );
  });

  it.each([
    ['a relative symlink climbing out', '../../victim'],
    ['an absolute symlink', '/etc/shadow'],
    ['a symlink loop', 'x/layer.tar'],
  ])('a layer.tar that is %s is refused', async (_name, target) => {
    const { parts } = await baseImage();
    const layerName = manifestOf(parts.entries)[0]!.Layers[0]!;
    const entries = parts.entries.filter((e) => e.name !== layerName);
    entries.push(
      { name: 'x/layer.tar', type: 'symlink', linkname: '../x/layer.tar' },
      { name: layerName, type: 'symlink', linkname: target },
    );
    await expectRefused(
      await makeTar(entries),
      /points outside the archive|too many links|is not in the archive/,
    );
  });

  it('an entry named outside the archive is refused', async () => {
    const { parts } = await baseImage();
    await expectRefused(
      await makeTar([{ name: '../../escape', content: 'x' }, ...parts.entries]),
      /entry name \.\.\/\.\.\/escape leaves the archive/,
    );
  });

  it('layers and diff_ids of different lengths are refused', async () => {
    const { layer } = await baseImage();
    const config = makeConfig([layer.diffId, sha256('second')]);
    const { entries } = legacyParts([{ layers: [layer], tags: ['evil:1'], config }]);
    await expectRefused(
      await makeTar(entries),
      /invalid manifest, layers length mismatch: image 1 in manifest.json has 1 layers but its config lists 2 diff IDs/,
    );
  });

  it.each([
    ['an uncompressed', false],
    ['a gzip', true],
  ])("%s layer that does not match its diff ID is refused with Docker's message", async (_name, gzip) => {
    const layer = await makeLayer({ 'etc/hostname': 'h\n' }, gzip);
    const wrong = sha256('another layer');
    const { entries } = legacyParts([{ layers: [layer], tags: ['evil:1'], config: makeConfig([wrong]) }]);
    const actual = layer.diffId;
    await expectRefused(
      await makeTar(entries),
      new RegExp(`^invalid diffID for layer 0: expected ${wrong}, got ${actual}$`),
      'DEVENV_DIGEST_MISMATCH',
    );
  });

  it('a combined-format blob whose content does not match its name is refused', async () => {
    const { layer } = await baseImage();
    const fake = `blobs/sha256/${'0'.repeat(64)}`;
    const config = makeConfig([layer.diffId]);
    const entries: TarEntry[] = [
      { name: fake, content: layer.blob },
      blobEntry(config),
      {
        name: 'manifest.json',
        content: JSON.stringify([
          { Config: `blobs/sha256/${sha256(config).slice(7)}`, RepoTags: ['evil:1'], Layers: [fake] },
        ]),
      },
    ];
    await expectRefused(await makeTar(entries), /does not match its content/, 'DEVENV_DIGEST_MISMATCH');
  });

  it.each([
    ['manifest.json that is not JSON', '[{"Config":', /manifest.json is not valid JSON/],
    ['manifest.json with no images', '[]', /manifest.json lists no images/],
    ['manifest.json of the wrong shape', '{"Config":"x"}', /manifest.json is invalid/],
  ])('%s is refused', async (_name, text, message) => {
    const { parts } = await baseImage();
    const entries = parts.entries.map((e) =>
      e.name === 'manifest.json' ? { name: e.name, content: text } : e,
    );
    await expectRefused(await makeTar(entries), message);
  });

  it('a RepoTags entry that is not a reference is refused', async () => {
    const { parts } = await baseImage();
    const manifest = manifestOf(parts.entries);
    manifest[0]!.RepoTags = ['Evil:Tag'];
    await expectRefused(
      await makeTar(withManifest(parts.entries, manifest)),
      /invalid RepoTags entry: invalid image reference "Evil:Tag"/,
    );
  });

  it('a manifest.json over 20 MiB is refused without being parsed', async () => {
    const { parts } = await baseImage();
    const huge = `[${' '.repeat(21 * 1024 * 1024)}]`;
    await expectRefused(
      await makeTar(
        parts.entries.map((e) => (e.name === 'manifest.json' ? { name: e.name, content: huge } : e)),
      ),
      /manifest.json is \d+ bytes, more than the 20971520 allowed/,
      'DEVENV_LIMIT',
    );
  });
});

describe('hostile OCI layouts (T15)', () => {
  async function image() {
    return ociImage({ layers: [await makeLayer({ 'a.txt': 'a' }, false)] });
  }

  it('an index that names itself (the only "cycle" content addressing allows) is refused without hanging', async () => {
    // A real cycle needs an index to contain its own hash, which sha256 rules out; the blob check
    // refuses the claim before the cycle guard (kept as defence in depth) would see it.
    const fake = `sha256:${'c'.repeat(64)}`;
    const selfIndex = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_INDEX, digest: fake, size: 0 }],
      }),
    );
    const entries = ociLayoutParts(
      [{ mediaType: OCI_INDEX, digest: fake, size: selfIndex.length }],
      [{ name: `blobs/sha256/${'c'.repeat(64)}`, content: selfIndex }],
    );
    await expectRefused(
      await makeTar(entries),
      /blob sha256:c{64} in the archive does not match its content/,
      'DEVENV_DIGEST_MISMATCH',
    );
  });

  it('an empty index.json is refused', async () => {
    await expectRefused(
      await makeTar(ociLayoutParts([], [])),
      /the archive contains no images \(index.json is empty\)/,
    );
  });

  it('an empty nested index is refused', async () => {
    const empty = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
    await expectRefused(
      await makeTar(ociLayoutParts([descriptor(OCI_INDEX, empty)], [blobEntry(empty)])),
      /index sha256:[a-f0-9]{64} is empty/,
    );
  });

  it('an index entry that is a config is refused', async () => {
    const built = await image();
    await expectRefused(
      await makeTar(
        ociLayoutParts([descriptor('application/vnd.oci.image.config.v1+json', built.config)], built.entries),
      ),
      /is an image config, not a manifest/,
    );
  });

  it('a text/plain target is refused', async () => {
    const text = Buffer.from('hello');
    await expectRefused(
      await makeTar(ociLayoutParts([descriptor('text/plain', text)], [blobEntry(text)])),
      /has media type text\/plain, not an image manifest or index/,
    );
  });

  it('a manifest whose config is not an image config (an artifact) is refused', async () => {
    const artifact = Buffer.from('{}');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor('application/vnd.example+json', artifact),
        layers: [],
      }),
    );
    await expectRefused(
      await makeTar(
        ociLayoutParts([descriptor(OCI_MANIFEST, manifest)], [blobEntry(artifact), blobEntry(manifest)]),
      ),
      /has a application\/vnd.example\+json config/,
    );
  });

  it('a descriptor whose size lies is refused', async () => {
    const built = await image();
    await expectRefused(
      await makeTar(
        ociLayoutParts([{ ...descriptor(OCI_MANIFEST, built.manifest), size: 3 }], built.entries),
      ),
      /the descriptor says 3/,
    );
  });

  it('a blob that is not there (a partial multi-platform archive for our platform) is refused', async () => {
    const built = await image();
    await expectRefused(
      await makeTar(ociLayoutParts([descriptor(OCI_MANIFEST, built.manifest)], built.entries.slice(0, 2))),
      /is not in the archive/,
    );
  });

  it('a digest that is not sha256 never becomes a path', async () => {
    await expectRefused(
      await makeTar(
        ociLayoutParts([{ mediaType: OCI_MANIFEST, digest: 'sha256:../../../../etc/passwd', size: 1 }], []),
      ),
      /index.json is invalid/,
    );
  });
});

describe('broken tar streams (T13)', () => {
  it.each([
    ['garbage', randomBytes(4096)],
    ['gzip garbage', gzipSync(randomBytes(100))],
    ['nothing', Buffer.alloc(0)],
  ])('%s is refused as not a valid archive', async (_name, bytes) => {
    await expectRefused(
      bytes,
      /not a valid tar archive|the archive is empty|neither a docker save archive nor an OCI layout/,
    );
  });

  it('a truncated archive is refused', async () => {
    const { parts } = await baseImage();
    const whole = await makeTar(parts.entries);
    await expectRefused(
      whole.subarray(0, whole.length - 3000),
      /not a valid tar archive|is not in the archive|manifest/,
    );
  });
});
