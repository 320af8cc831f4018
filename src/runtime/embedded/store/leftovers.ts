/**
 * What crashed operations leave behind, found by owner records instead of guesses: incomplete and
 * half-removed layers, ingests and scratch dirs (volume imports among them) whose process is gone (or
 * older than a lease), volumes half created or half removed, temp files of interrupted atomic writes,
 * expired leases and dangling short links. Shared by `openStore`
 * (recovery on start), `checkStore` (report) and `repairStore` (removal).
 */
import { lstat, readlink, rm, stat } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { StoreContext } from './store-context.js';
import { exists, listDir } from './fs-util.js';
import { removeTree } from '../../../util/remove-tree.js';
import { readJsonFile } from './json-file.js';
import { INCOMPLETE_PREFIX, REMOVING_INFIX, removeLayerLeftover } from './layers.js';
import { DEFAULT_LEASE_MS, listLeases } from './leases.js';
import { OwnerSchema, isOwnerAlive, isPidAlive } from './owner.js';
import { CREATING_PREFIX, REMOVING_PREFIX, creatorOf, listVolumeNames } from './volume-layout.js';

/** One leftover and how to remove it. */
export interface Leftover {
  path: string;
  reason: string;
  remove(): Promise<void>;
}

/** A directory without an owner record younger than this may be a live operation's first moment. */
const GRACE_MS = 60_000;
/** `writeFileAtomic` temp names: `.<name>.<pid>.<8 hex>.tmp`. */
const ATOMIC_TEMP = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

async function ownedDirState(ctx: StoreContext, dir: string, ownerFile: string): Promise<string | undefined> {
  const owner = await readJsonFile(ownerFile, OwnerSchema);
  if (owner.state === 'ok') {
    if (!(await isOwnerAlive(owner.value))) return `its process ${owner.value.pid} is gone`;
    if (ctx.now() - owner.value.createdAt > DEFAULT_LEASE_MS) return 'older than a lease (24 h)';
    return undefined;
  }
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return undefined;
  return ctx.now() - info.mtimeMs > GRACE_MS ? 'it has no valid owner record' : undefined;
}

async function atomicTemps(dir: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const name of await listDir(dir)) {
    const match = ATOMIC_TEMP.exec(name);
    if (match === null || (await isPidAlive(Number(match[1])))) continue;
    const file = path.join(dir, name);
    found.push({
      path: file,
      reason: 'temp file of an interrupted write',
      remove: () => rm(file, { force: true }),
    });
  }
  return found;
}

/** Every leftover in the store at `ctx`. */
export async function findLeftovers(ctx: StoreContext): Promise<Leftover[]> {
  const { paths } = ctx;
  const found: Leftover[] = [];
  for (const name of await listDir(paths.layersDir)) {
    const dir = path.join(paths.layersDir, name);
    if (name.includes(REMOVING_INFIX)) {
      found.push({
        path: dir,
        reason: 'a layer deletion was interrupted',
        remove: () => removeLayerLeftover(ctx, dir),
      });
    } else if (name.startsWith(INCOMPLETE_PREFIX)) {
      const reason = await ownedDirState(ctx, dir, path.join(dir, 'owner.json'));
      if (reason !== undefined)
        found.push({
          path: dir,
          reason: `incomplete layer: ${reason}`,
          remove: () => removeLayerLeftover(ctx, dir),
        });
    } else if (/^[a-f0-9]{64}$/.test(name)) {
      found.push(...(await atomicTemps(dir)));
    }
  }
  for (const [base, what] of [
    [paths.ingestDir, 'ingest'],
    [paths.tmpDir, 'scratch directory'],
  ] as const) {
    for (const name of await listDir(base)) {
      const dir = path.join(base, name);
      const reason = await ownedDirState(ctx, dir, path.join(dir, 'owner.json'));
      if (reason !== undefined)
        found.push({
          path: dir,
          reason: `stale ${what}: ${reason}`,
          remove: () => rm(dir, { recursive: true, force: true }),
        });
    }
  }
  found.push(...(await volumeLeftovers(ctx)));
  for (const dir of [paths.root, paths.imagesDir, paths.leasesDir]) found.push(...(await atomicTemps(dir)));
  for (const entry of await listLeases(ctx)) {
    if (entry.lease !== undefined && entry.stale !== undefined) {
      found.push({
        path: entry.file,
        reason: `stale lease: ${entry.stale}`,
        remove: () => rm(entry.file, { force: true }),
      });
    }
  }
  for (const name of await listDir(paths.linksDir)) {
    const link = path.join(paths.linksDir, name);
    const info = await lstat(link);
    const target = info.isSymbolicLink() ? await readlink(link) : undefined;
    const valid =
      target !== undefined &&
      /^\.\.\/layers\/[a-f0-9]{64}\/diff$/.test(target) &&
      (await exists(path.join(paths.linksDir, target)));
    if (!valid)
      found.push({ path: link, reason: 'short link to no layer', remove: () => rm(link, { force: true }) });
  }
  return found;
}

async function volumeLeftovers(ctx: StoreContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const removeDir = (dir: string) => () => removeTree(dir);
  for (const name of await listDir(ctx.paths.volumesDir)) {
    const dir = path.join(ctx.paths.volumesDir, name);
    // Renamed aside means the volume is already gone for everyone; only the deletion is unfinished.
    if (name.startsWith(REMOVING_PREFIX))
      found.push({ path: dir, reason: 'a volume deletion was interrupted', remove: removeDir(dir) });
    else if (name.startsWith(CREATING_PREFIX)) {
      const pid = creatorOf(name);
      if (pid === undefined || !(await isPidAlive(pid)))
        found.push({ path: dir, reason: 'a volume creation was interrupted', remove: removeDir(dir) });
    }
  }
  for (const name of await listVolumeNames(ctx.paths))
    found.push(...(await atomicTemps(path.join(ctx.paths.volumesDir, name))));
  return found;
}

/** Removes every leftover; returns what was removed. */
export async function removeLeftovers(ctx: StoreContext): Promise<Leftover[]> {
  const found = await findLeftovers(ctx);
  for (const leftover of found) await leftover.remove();
  return found;
}
