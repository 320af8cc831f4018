/** Image and tag checks: every record's config hashes to its ID, its chain and blobs exist, every tag resolves. */
import { createHash } from '../../../util/crypto.js';
import path from '../../../util/node-path.js';
import { chainIdsOf } from './chain-id.js';
import type { StoreIssue } from './check-types.js';
import type { StoreContext } from './store-context.js';
import { exists, listDir } from './fs-util.js';
import { parseImageConfig } from '../../../image/oci/image-config.js';
import { readCapped } from '../../../util/read-capped.js';
import { readJsonFile } from './json-file.js';
import { normalizeTag } from '../../../image/reference.js';
import { ImageRecordSchema, RefsFileSchema } from './schemas.js';
import type { ImageRecord, LayerRecord } from './schemas.js';

async function imageProblem(
  ctx: StoreContext,
  record: ImageRecord,
  layers: Map<string, LayerRecord>,
): Promise<string | undefined> {
  const configFile = ctx.paths.blob(record.id);
  if (!(await exists(configFile))) return 'its config blob is missing';
  const bytes = await readCapped(configFile, 20 * 1024 * 1024).catch(() => undefined);
  if (bytes === undefined) return 'its config blob cannot be read';
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== record.id)
    return 'its config blob does not hash to the image ID';
  let diffIds: string[];
  try {
    diffIds = parseImageConfig(bytes, 'config').rootfs.diff_ids;
  } catch (error) {
    return (error as Error).message;
  }
  if (diffIds.join() !== record.layers.map((l) => l.diffId).join())
    return 'its record and its config list different layers';
  for (const [index, chainId] of chainIdsOf(diffIds).entries()) {
    if (!layers.has(chainId)) return `layer ${index} (chain ${chainId}) is missing or broken`;
  }
  for (const layer of record.layers)
    if (!(await exists(ctx.paths.blob(layer.digest)))) return `layer blob ${layer.digest} is missing`;
  for (const digest of record.manifestDigests)
    if (!(await exists(ctx.paths.blob(digest)))) return `manifest blob ${digest} is missing`;
  return undefined;
}

/** Checks image records and refs.json; returns the issues and the IDs of usable images. */
export async function checkImages(
  ctx: StoreContext,
  layers: Map<string, LayerRecord>,
): Promise<{ issues: StoreIssue[]; usable: Set<string> }> {
  const issues: StoreIssue[] = [];
  const usable = new Set<string>();
  for (const name of await listDir(ctx.paths.imagesDir)) {
    const file = path.join(ctx.paths.imagesDir, name);
    if (!/^[a-f0-9]{64}\.json$/.test(name)) {
      if (!name.startsWith('.'))
        issues.push({ kind: 'stray-file', path: file, message: `${name} in images/ is not an image record` });
      continue;
    }
    const id = `sha256:${name.slice(0, 64)}`;
    const read = await readJsonFile(file, ImageRecordSchema);
    if (read.state !== 'ok' || read.value.id !== id) {
      const reason =
        read.state === 'corrupt'
          ? read.reason
          : `it names image ${read.state === 'ok' ? read.value.id : '?'}`;
      issues.push({
        kind: 'corrupt-state',
        path: file,
        subject: id,
        message: `image record ${file} is corrupt: ${reason}`,
      });
      continue;
    }
    const problem = await imageProblem(ctx, read.value, layers);
    if (problem === undefined) usable.add(id);
    else issues.push({ kind: 'broken-image', path: file, subject: id, message: `image ${id}: ${problem}` });
  }
  const refs = await readJsonFile(ctx.paths.refsFile, RefsFileSchema);
  if (refs.state === 'corrupt') {
    issues.push({
      kind: 'corrupt-state',
      path: ctx.paths.refsFile,
      message: `${ctx.paths.refsFile} is corrupt: ${refs.reason}`,
    });
  } else if (refs.state === 'ok') {
    for (const [name, id] of Object.entries(refs.value.refs)) {
      let valid = false;
      try {
        valid = normalizeTag(name) === name;
      } catch {
        valid = false;
      }
      if (!valid)
        issues.push({
          kind: 'dangling-ref',
          path: ctx.paths.refsFile,
          subject: name,
          message: `tag ${JSON.stringify(name)} is not a valid reference`,
        });
      else if (!usable.has(id))
        issues.push({
          kind: 'dangling-ref',
          path: ctx.paths.refsFile,
          subject: name,
          message: `tag ${name} points at ${id}, which is missing or broken`,
        });
    }
  }
  return { issues, usable };
}
