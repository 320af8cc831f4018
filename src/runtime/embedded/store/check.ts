/**
 * The store's invariant checker (docs/reliability.md#fault-injection), shared by the tests and
 * `devenv doctor`: safe root; every tag → an image whose config hashes to its ID; every blob matches
 * its name; no final-name file without a digest; no stale ingest or scratch dir; no incomplete or
 * `*-removing` leftovers; chain IDs and parents hold; every state file validates with zod; every
 * volume is whole and every volume a container mounts exists.
 */
import { lstat } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { checkImages } from './check-images.js';
import { checkLayers } from './check-layers.js';
import { checkVolumes } from './check-volumes.js';
import type { CheckReport, StoreIssue } from './check-types.js';
import { containerImages } from './containers.js';
import { createContext } from './store-context.js';
import { hashFile } from './digest.js';
import type { StoreContext } from './store-context.js';
import { listDir } from './fs-util.js';
import { readJsonFile } from './json-file.js';
import { listLeases } from './leases.js';
import { findLeftovers } from './leftovers.js';
import { storePaths } from './paths.js';
import { prepareStoreRoot } from './root.js';
import { RefsFileSchema } from './schemas.js';

/** Options of {@link checkStore}. */
export interface CheckOptions {
  /** Hash every blob (slow on big stores; default true). */
  verifyBlobs?: boolean | undefined;
  now?: (() => number) | undefined;
}

async function checkBlobs(ctx: StoreContext, verify: boolean): Promise<StoreIssue[]> {
  const issues: StoreIssue[] = [];
  for (const name of await listDir(path.dirname(ctx.paths.blobsDir))) {
    if (name !== 'sha256')
      issues.push({
        kind: 'stray-file',
        path: path.join(path.dirname(ctx.paths.blobsDir), name),
        message: `blobs/${name} is not a supported digest algorithm`,
      });
  }
  for (const name of await listDir(ctx.paths.blobsDir)) {
    const file = path.join(ctx.paths.blobsDir, name);
    const info = await lstat(file);
    if (!/^[a-f0-9]{64}$/.test(name) || !info.isFile()) {
      issues.push({ kind: 'stray-file', path: file, message: `${file} is not a blob named by its digest` });
    } else if (verify && (await hashFile(file)).digest !== `sha256:${name}`) {
      issues.push({
        kind: 'corrupt-blob',
        path: file,
        subject: `sha256:${name}`,
        message: `blob sha256:${name} does not match its content`,
      });
    }
  }
  return issues;
}

async function checkContainers(
  ctx: StoreContext,
  usable: Set<string>,
  refs: Record<string, string>,
): Promise<StoreIssue[]> {
  const issues: StoreIssue[] = [];
  for (const use of await containerImages(ctx, refs)) {
    if (use.corrupt !== undefined) {
      issues.push({
        kind: 'container',
        path: use.file,
        message: `container ${use.container}: ${use.file} is corrupt (${use.corrupt})`,
      });
    } else if (use.image !== undefined && (use.id === undefined || !usable.has(use.id))) {
      const message = `container ${use.container} uses image ${use.image}, which is missing or broken`;
      issues.push({ kind: 'container', path: use.file, subject: use.image, message });
    }
  }
  return issues;
}

/** Checks the store at `root` without changing it. */
export async function checkStore(root: string, options: CheckOptions = {}): Promise<CheckReport> {
  const report = (issues: StoreIssue[]): CheckReport => ({ root, issues, clean: issues.length === 0 });
  try {
    await prepareStoreRoot(root, { create: false });
  } catch (error) {
    return report([{ kind: 'unsafe-root', path: root, message: (error as Error).message }]);
  }
  const ctx = createContext(storePaths(path.resolve(root)), options.now ?? Date.now, 0);
  const issues: StoreIssue[] = [];
  for (const leftover of await findLeftovers(ctx))
    issues.push({ kind: 'leftover', path: leftover.path, message: `${leftover.path}: ${leftover.reason}` });
  for (const entry of await listLeases(ctx)) {
    if (entry.lease === undefined)
      issues.push({
        kind: 'corrupt-state',
        path: entry.file,
        message: `lease ${entry.file} is ${entry.stale ?? 'corrupt'}`,
      });
  }
  issues.push(...(await checkBlobs(ctx, options.verifyBlobs ?? true)));
  const layers = await checkLayers(ctx);
  issues.push(...layers.issues);
  const images = await checkImages(ctx, layers.records);
  issues.push(...images.issues);
  const refs = await readJsonFile(ctx.paths.refsFile, RefsFileSchema);
  issues.push(...(await checkContainers(ctx, images.usable, refs.state === 'ok' ? refs.value.refs : {})));
  issues.push(...(await checkVolumes(ctx)));
  return report(issues);
}
