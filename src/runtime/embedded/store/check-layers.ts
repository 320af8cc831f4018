/** Layer checks: metadata validates, chain IDs add up, parents exist, short links point back. */
import { lstat, readFile, readlink } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { chainIdOf } from './chain-id.js';
import type { StoreIssue } from './check-types.js';
import type { StoreContext } from './store-context.js';
import { exists, listDir } from './fs-util.js';
import { readJsonFile } from './json-file.js';
import { INCOMPLETE_PREFIX, REMOVING_INFIX } from './layers.js';
import { LayerRecordSchema } from './schemas.js';
import type { LayerRecord } from './schemas.js';

async function checkOne(
  ctx: StoreContext,
  name: string,
  records: Map<string, LayerRecord>,
): Promise<StoreIssue[]> {
  const dir = path.join(ctx.paths.layersDir, name);
  const chainId = `sha256:${name}`;
  const file = path.join(dir, 'layer.json');
  const broken = (message: string): StoreIssue[] => [
    { kind: 'broken-layer', path: dir, subject: chainId, message: `layer ${chainId}: ${message}` },
  ];
  const read = await readJsonFile(file, LayerRecordSchema);
  if (read.state === 'missing') return broken('layer.json is missing');
  if (read.state === 'corrupt') return broken(`${file} is corrupt (${read.reason})`);
  const record = read.value;
  if (record.chainId !== chainId) return broken(`layer.json names chain ${record.chainId}`);
  if (chainIdOf(record.parent ?? undefined, record.diffId) !== chainId)
    return broken('its chain ID does not follow from its parent and diff ID');
  if (
    !(await lstat(path.join(dir, 'diff')).then(
      (i) => i.isDirectory(),
      () => false,
    ))
  )
    return broken('diff/ is missing');
  records.set(chainId, record);
  const link = (await readFile(path.join(dir, 'link'), 'utf8').catch(() => '')).trim();
  const linkPath = path.join(ctx.paths.linksDir, link);
  const target = /^[A-Z2-7]{26}$/.test(link) ? await readlink(linkPath).catch(() => undefined) : undefined;
  if (target !== `../layers/${name}/diff`) {
    return [
      {
        kind: 'missing-link',
        path: dir,
        subject: chainId,
        message: `layer ${chainId} has no short link under l/`,
      },
    ];
  }
  return [];
}

/** Checks every complete layer; returns the issues and the records that validated. */
export async function checkLayers(
  ctx: StoreContext,
): Promise<{ issues: StoreIssue[]; records: Map<string, LayerRecord> }> {
  const issues: StoreIssue[] = [];
  const records = new Map<string, LayerRecord>();
  for (const name of await listDir(ctx.paths.layersDir)) {
    if (/^[a-f0-9]{64}$/.test(name)) issues.push(...(await checkOne(ctx, name, records)));
    else if (!name.startsWith(INCOMPLETE_PREFIX) && !name.includes(REMOVING_INFIX)) {
      issues.push({
        kind: 'stray-file',
        path: path.join(ctx.paths.layersDir, name),
        message: `${name} in layers/ is not a layer`,
      });
    }
  }
  // Parents are checked once every layer is known, repeatedly, so a whole chain above a missing
  // layer is reported in one run.
  for (let changed = true; changed;) {
    changed = false;
    for (const [chainId, record] of records) {
      if (record.parent === null || records.has(record.parent)) continue;
      const reason = (await exists(ctx.paths.layer(record.parent))) ? 'is broken' : 'is missing';
      const message = `layer ${chainId}: its parent ${record.parent} ${reason}`;
      issues.push({ kind: 'broken-layer', path: ctx.paths.layer(chainId), subject: chainId, message });
      records.delete(chainId);
      changed = true;
    }
  }
  return { issues, records };
}
