/**
 * Leases: the content an operation in flight (a pull, an import, a build) has written or relies on but
 * not yet referenced from an image or tag. Prune treats a live lease as a root, so it never removes
 * what an operation is about to use (docs/reliability.md, rule 5, K5). A lease protects nothing
 * once it expires (24 h by default, like containerd's client) or once its owner process is gone.
 */
import { randomBytes } from '../../../util/crypto.js';
import { readdir, rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { StoreContext } from './store-context.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { currentOwner, isOwnerAlive } from './owner.js';
import { LeaseSchema } from './schemas.js';
import type { Lease } from './schemas.js';

/** Default lease lifetime. */
export const DEFAULT_LEASE_MS = 24 * 60 * 60 * 1000;

/** What a lease can hold. */
export type LeaseKind = 'blobs' | 'layers' | 'images';

/** A lease held by this process. */
export interface LeaseHandle {
  readonly id: string;
  /** Records content in the lease. Call with the store lock held, before the content gets its final name. */
  add(kind: LeaseKind, ids: readonly string[]): Promise<void>;
  /** Drops the lease (under the store lock); what it protected is collectable unless referenced. */
  release(): Promise<void>;
}

function leaseFile(ctx: StoreContext, id: string): string {
  return path.join(ctx.paths.leasesDir, `${id}.json`);
}

/** Creates a lease owned by this process. */
export async function createLease(
  ctx: StoreContext,
  purpose: string,
  ttlMs = DEFAULT_LEASE_MS,
): Promise<LeaseHandle> {
  const lease: Lease = {
    id: randomBytes(8).toString('hex'),
    owner: await currentOwner(ctx.now(), purpose),
    expiresAt: ctx.now() + ttlMs,
    blobs: [],
    layers: [],
    images: [],
  };
  const file = leaseFile(ctx, lease.id);
  await writeJsonFile(file, lease);
  return {
    id: lease.id,
    async add(kind, ids) {
      const fresh = ids.filter((id) => !lease[kind].includes(id));
      if (fresh.length === 0) return;
      lease[kind].push(...fresh);
      await writeJsonFile(file, lease);
    },
    async release() {
      await ctx.withStoreLock('releasing a lease', () => rm(file, { force: true }));
    },
  };
}

/** A lease file as found on disk: valid or not, live or not. */
export interface LeaseEntry {
  file: string;
  lease: Lease | undefined;
  /** Why the file does not count (corrupt, expired, owner gone); undefined for a live lease. */
  stale: string | undefined;
}

/** Every lease file with its state. */
export async function listLeases(ctx: StoreContext): Promise<LeaseEntry[]> {
  const names = await readdir(ctx.paths.leasesDir).catch(() => [] as string[]);
  const entries: LeaseEntry[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(ctx.paths.leasesDir, name);
    const read = await readJsonFile(file, LeaseSchema);
    if (read.state === 'missing') continue;
    if (read.state === 'corrupt') entries.push({ file, lease: undefined, stale: `corrupt (${read.reason})` });
    else if (read.value.expiresAt <= ctx.now()) entries.push({ file, lease: read.value, stale: 'expired' });
    else if (!(await isOwnerAlive(read.value.owner)))
      entries.push({ file, lease: read.value, stale: `its process ${read.value.owner.pid} is gone` });
    else entries.push({ file, lease: read.value, stale: undefined });
  }
  return entries;
}
