/**
 * Reads a `docker save` archive through its manifest.json: the legacy layout of Docker <= 24
 * (`<v1id>/layer.tar`, `<id>.json`) and the combined layout of Docker >= 25 (`blobs/sha256/…`), as
 * moby's tarexport/load.go does: every path resolved in scope, layer counts and diff IDs checked.
 */
import { normalizeTag } from '../reference.js';
import type { ArchiveIndex } from './archive-index.js';
import { entryDigest, invalidArchive, readEntry } from './archive-index.js';
import { MAX_JSON_BYTES } from './archive-limits.js';
import { parseArchiveShape, parseConfig, planLayers } from './archive-plan.js';
import { array, looseObject, nullish, string } from '../../util/shape.js';
import type { PlannedImage } from './archive-plan.js';
import { resolveFile, verifyNamedBlob } from './resolve.js';

// Small typed checks, not zod: loading zod would cost a plain `load` more than its whole start.
const ManifestJsonShape = array(
  looseObject({
    Config: string,
    RepoTags: nullish(array(string)),
    Layers: array(string),
  }),
);

/** In the combined layout a path names its blob: the content must match that name. */
async function resolveChecked(index: ArchiveIndex, name: string, what: string) {
  const entry = resolveFile(index, name, what);
  const named = /^(?:\.\/)?blobs\/sha256\/([a-f0-9]{64})$/.exec(name)?.[1];
  if (named !== undefined) await verifyNamedBlob(entry, `sha256:${named}`, what);
  return entry;
}

/** Plans every image manifest.json lists. */
export async function planDockerArchive(index: ArchiveIndex): Promise<PlannedImage[]> {
  const manifestEntry = resolveFile(index, 'manifest.json', 'manifest.json');
  const manifest = parseArchiveShape(
    await readEntry(manifestEntry, MAX_JSON_BYTES, 'manifest.json'),
    ManifestJsonShape,
    'manifest.json',
  );
  if (manifest.length === 0) throw invalidArchive('manifest.json lists no images');
  const images: PlannedImage[] = [];
  for (const [n, item] of manifest.entries()) {
    const what = `image ${n + 1} in manifest.json`;
    const configEntry = await resolveChecked(index, item.Config, `${what}: Config`);
    const configBytes = await readEntry(configEntry, MAX_JSON_BYTES, `${what}: Config`);
    const config = parseConfig(configBytes, `${what}: Config ${item.Config}`);
    const layers = [];
    for (const [i, name] of item.Layers.entries()) {
      layers.push({ entry: await resolveChecked(index, name, `${what}: layer ${i}`), mediaType: undefined });
    }
    const tags = (item.RepoTags ?? []).map((tag) => {
      try {
        return normalizeTag(tag);
      } catch (error) {
        throw invalidArchive(`${what}: invalid RepoTags entry: ${(error as Error).message}`);
      }
    });
    images.push({
      what,
      config: configBytes,
      configDigest: await entryDigest(configEntry),
      layers: await planLayers(config, layers, what),
      tags,
    });
  }
  return images;
}
