/**
 * `devenv doctor --repair`: removes leftovers and strays, deletes corrupt blobs, quarantines state
 * files that do not validate (naming them, docs/reliability.md C6), removes broken layers and
 * images, drops tags whose image is gone, and makes broken volumes whole (never deleting their data). Runs the checker, repairs under the store lock, and
 * repeats, because one repair can expose the next (a removed layer breaks the images above it).
 */
import { randomBytes } from '../../../util/crypto.js';
import { mkdir, rename, rm, symlink } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { writeFileAtomic } from '../../../util/atomic.js';
import { checkStore } from './check.js';
import { repairVolume } from './check-volumes.js';
import type { CheckOptions } from './check.js';
import { UNREPAIRABLE } from './check-types.js';
import type { StoreIssue } from './check-types.js';
import { createContext } from './store-context.js';
import type { StoreContext } from './store-context.js';
import { exists } from './fs-util.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { REMOVING_INFIX, removeLayerLeftover, shortLinkName } from './layers.js';
import { removeLeftovers } from './leftovers.js';
import { storePaths } from './paths.js';
import { RefsFileSchema } from './schemas.js';

/** What repair did and what is still wrong. */
export interface RepairReport {
  root: string;
  /** One sentence per action, naming the path. */
  actions: string[];
  /** Issues left after repair (those that need the user). */
  remaining: StoreIssue[];
  clean: boolean;
}

async function quarantine(ctx: StoreContext, file: string): Promise<string> {
  const dir = path.join(ctx.paths.root, 'quarantine');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = path.join(
    dir,
    `${new Date(ctx.now()).toISOString().replace(/[:.]/g, '-')}-${path.relative(ctx.paths.root, file).replace(/\//g, '_')}`,
  );
  await rename(file, target);
  return target;
}

async function repairOne(ctx: StoreContext, issue: StoreIssue, actions: string[]): Promise<void> {
  switch (issue.kind) {
    case 'leftover':
      break; // removed together below
    case 'stray-file':
    case 'corrupt-blob':
      await rm(issue.path, { recursive: true, force: true });
      actions.push(
        `removed ${issue.path} (${issue.kind === 'corrupt-blob' ? 'content does not match its digest' : 'not a store object'})`,
      );
      break;
    case 'corrupt-state':
      if (await exists(issue.path))
        actions.push(`quarantined ${issue.path} as ${await quarantine(ctx, issue.path)}: ${issue.message}`);
      break;
    case 'broken-layer': {
      if (!(await exists(issue.path))) break;
      const doomed = `${issue.path}${REMOVING_INFIX}${randomBytes(4).toString('hex')}`;
      const metadata = path.join(issue.path, 'layer.json');
      const kept = (await exists(metadata))
        ? ` (its layer.json kept as ${await quarantine(ctx, metadata)})`
        : '';
      await rename(issue.path, doomed);
      await removeLayerLeftover(ctx, doomed);
      actions.push(`removed layer ${issue.path}: ${issue.message}${kept}`);
      break;
    }
    case 'missing-link': {
      const link = shortLinkName();
      await symlink(
        path.join('..', 'layers', path.basename(issue.path), 'diff'),
        path.join(ctx.paths.linksDir, link),
      );
      await writeFileAtomic(path.join(issue.path, 'link'), link);
      actions.push(`recreated the short link of layer ${issue.path} as l/${link}`);
      break;
    }
    case 'broken-image':
      await rm(issue.path, { force: true });
      actions.push(`removed image record ${issue.path}: ${issue.message}; pull or load the image again`);
      break;
    case 'dangling-ref': {
      const read = await readJsonFile(ctx.paths.refsFile, RefsFileSchema);
      if (read.state !== 'ok' || issue.subject === undefined) break;
      const refs = Object.fromEntries(
        Object.entries(read.value.refs).filter(([name]) => name !== issue.subject),
      );
      await writeJsonFile(ctx.paths.refsFile, { version: 1, refs }, 0o644);
      actions.push(`dropped tag ${issue.subject}: ${issue.message}`);
      break;
    }
    case 'broken-volume':
      if (issue.subject !== undefined && (await exists(issue.path)))
        actions.push(await repairVolume(ctx, issue.subject, (file) => quarantine(ctx, file)));
      break;
    case 'unsafe-root':
    case 'container':
      break;
  }
}

/** Repairs the store at `root` as far as it can; returns the actions taken and what remains. */
export async function repairStore(
  root: string,
  options: CheckOptions & { lockTimeoutMs?: number } = {},
): Promise<RepairReport> {
  const ctx = createContext(
    storePaths(path.resolve(root)),
    options.now ?? Date.now,
    options.lockTimeoutMs ?? 120_000,
  );
  const actions: string[] = [];
  for (let round = 0; round < 10; round++) {
    const report = await checkStore(root, options);
    const repairable = report.issues.filter((issue) => !UNREPAIRABLE.has(issue.kind));
    if (report.issues.some((issue) => issue.kind === 'unsafe-root') || repairable.length === 0) break;
    await ctx.withStoreLock('repairing', async () => {
      if (repairable.some((issue) => issue.kind === 'leftover')) {
        for (const leftover of await removeLeftovers(ctx))
          actions.push(`removed ${leftover.path} (${leftover.reason})`);
      }
      for (const issue of repairable) await repairOne(ctx, issue, actions);
    });
  }
  const final = await checkStore(root, options);
  return { root, actions, remaining: final.issues, clean: final.clean };
}
