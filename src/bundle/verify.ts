/**
 * Checks a scanned bundle whole, before any of it reaches a runtime: bundle.json's form and the one
 * reference it may name, devenv.yml and every volume against their digests, and the image part
 * (one image, whose config is the id bundle.json names and whose layers match that config).
 */
import path from '../util/node-path.js';
import { imageTag } from '../plan/naming.js';
import { sha256Of } from '../util/hash-file.js';
import { BUNDLE_CONFIG, BUNDLE_JSON, BundleManifestSchema, bundleInvalid } from './format.js';
import type { BundleManifest } from './format.js';
import type { ImageEntry, ScannedArchive } from './scan.js';

/** A bundle whose every part checked out. */
export interface VerifiedBundle {
  manifest: BundleManifest;
  configText: string;
}

function parseJson(data: Buffer | undefined): unknown {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Follows link entries (docker save links repeated layers) to the file they name. */
function resolveEntry(image: Map<string, ImageEntry>, name: string): ImageEntry | undefined {
  let entry = image.get(name);
  for (let hops = 0; entry?.link !== undefined && hops < 8; hops++) entry = image.get(entry.link);
  return entry?.link === undefined ? entry : undefined;
}

function verifyImage(file: string, scanned: ScannedArchive, manifest: BundleManifest): void {
  const notNamed = `the image in the archive is not the one bundle.json names (${manifest.image.id})`;
  const list = parseJson(resolveEntry(scanned.image, 'manifest.json')?.data);
  if (!Array.isArray(list) || list.length !== 1)
    throw bundleInvalid(file, 'the image part must hold exactly one image (manifest.json)');
  const item = list[0] as { Config?: unknown; Layers?: unknown };
  const config = typeof item.Config === 'string' ? resolveEntry(scanned.image, item.Config) : undefined;
  if (config?.digest !== manifest.image.id || config.data === undefined) throw bundleInvalid(file, notNamed);
  const diffIds = (parseJson(config.data) as { rootfs?: { diff_ids?: unknown } } | undefined)?.rootfs
    ?.diff_ids;
  const layers = item.Layers;
  if (!Array.isArray(layers) || !Array.isArray(diffIds) || layers.length !== diffIds.length)
    throw bundleInvalid(file, `${notNamed}: its layers do not match its config`);
  for (const [i, layer] of layers.entries()) {
    const entry = typeof layer === 'string' ? resolveEntry(scanned.image, layer) : undefined;
    // An uncompressed layer hashes to its diff ID; a compressed one lives under its own digest, and
    // the runtime checks what it decompresses to against the diff ID while loading.
    const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(String(layer))?.[1];
    const ok =
      entry?.digest !== undefined &&
      (entry.digest === diffIds[i] || (blob !== undefined && entry.digest === `sha256:${blob}`));
    if (!ok)
      throw bundleInvalid(file, `layer ${i + 1} of the image (${String(layer)}) does not match its digest`);
  }
}

/** Verifies a scanned bundle; throws DEVENV_BUNDLE_INVALID naming the first part that does not check out. */
export function verifyBundle(file: string, scanned: ScannedArchive): VerifiedBundle {
  const json = scanned.devenv.get(BUNDLE_JSON);
  if (json === undefined) throw bundleInvalid(file, `${BUNDLE_JSON} is missing`);
  const raw = parseJson(json);
  if (raw === undefined) throw bundleInvalid(file, 'bundle.json is not JSON');
  const parsed = BundleManifestSchema.safeParse(raw);
  if (!parsed.success)
    throw bundleInvalid(
      file,
      `bundle.json is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const manifest = parsed.data;
  // The only reference a bundle may ever tag is its own environment's; never a base image.
  if (manifest.image.ref !== imageTag(manifest.name))
    throw bundleInvalid(
      file,
      `bundle.json: image.ref is ${manifest.image.ref}, but a bundle of ${manifest.name} may only name ${imageTag(manifest.name)}`,
    );
  const config = scanned.devenv.get(BUNDLE_CONFIG);
  if (config === undefined || sha256Of(config) !== manifest.config.digest)
    throw bundleInvalid(file, 'devenv.yml is missing or does not match its digest');
  const names = new Set<string>();
  for (const volume of manifest.volumes) {
    if (names.has(volume.name)) throw bundleInvalid(file, `volume ${volume.name} is listed twice`);
    names.add(volume.name);
    const stored = scanned.volumes.get(path.posix.basename(volume.file));
    if (
      path.posix.basename(volume.file) !== `${volume.name}.tar` ||
      stored?.digest !== volume.digest ||
      stored.size !== volume.size
    )
      throw bundleInvalid(file, `volume ${volume.name} is missing or does not match its digest`);
  }
  verifyImage(file, scanned, manifest);
  return { manifest, configText: config.toString('utf8') };
}
