/**
 * A COPY or ADD step on the embedded builder: find the sources (in the context, or in an earlier
 * stage or another image, mounted read-only), hash them as Docker does for the cache probe, and on a
 * miss copy them into the step's root and commit the diff.
 */
import { lstat, mkdir, rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { cacheKey, collectCopySources, copySourceHash } from '../../../image/build/index.js';
import type { BuildStep } from '../../../image/build/index.js';
import type { BuildContext, DockerfileJob } from './build-context.js';
import { copyInto } from './copy-files.js';
import type { FoundSource } from './copy-files.js';
import { commitStep, loadState } from './image-state.js';
import type { ImageState } from './image-state.js';
import { resolveOwner } from './image-users.js';
import { hostNames } from './host-names.js';
import { chainDirs, commitStepRoot, openStepRoot } from './step-layer.js';
import { withMergedRoot } from './workdir-step.js';

type CopyStep = Extract<BuildStep, { kind: 'copy' }>;

const ARCHIVE = /\.(tar|tgz|tar\.(gz|bz2|xz|zst))$/;

/** What the stage loop hands a copy step. */
export interface CopyStepInput {
  where: string;
  step: number;
  /** The cached image for `key`, or undefined on a miss (which busts the rest of the stage). */
  cached(key: string): Promise<ImageState | undefined>;
}

/** Lower dirs of a read-only view of `state` (overlay needs two at least). */
async function readOnlyLowers(ctx: BuildContext, state: ImageState | undefined): Promise<string[]> {
  const empty = path.join(ctx.scratch, 'empty');
  await mkdir(path.join(empty, 'a'), { recursive: true });
  await mkdir(path.join(empty, 'b'), { recursive: true });
  const chain = state === undefined ? [] : await chainDirs(ctx.store, state.chainId);
  return [...chain, path.join(empty, 'a'), path.join(empty, 'b')].slice(0, Math.max(2, chain.length));
}

async function sourceImage(
  ctx: BuildContext,
  step: CopyStep,
  stages: readonly ImageState[],
): Promise<ImageState | undefined> {
  if (step.from === undefined) return undefined;
  if ('stage' in step.from) {
    const stage = stages[step.from.stage];
    if (stage === undefined) throw new Error(`stage ${step.from.stage} is not built yet`);
    return stage;
  }
  const local = await ctx.store.refs.resolve(step.from.image).catch(() => undefined);
  return loadState(ctx.store, local ?? (await ctx.pull(step.from.image)));
}

interface Found {
  sources: FoundSource[];
  sourceRoot: string;
  hash: string;
}

async function findAndHash(
  step: CopyStep,
  root: string,
  flavour: 'context' | 'stage',
  where: string,
  ignored: ((rel: string) => boolean) | undefined,
  contextTar: 'docker-cli' | 'devenv',
): Promise<Found> {
  const collected = await collectCopySources(root, step.sources, {
    flavour,
    where,
    ignored,
    // Docker hashes the context tar it receives; which one that is depends on the Dockerfile.
    contextTar,
    userName: (uid) => hostNames().users.get(uid),
    groupName: (gid) => hostNames().groups.get(gid),
  });
  const sources: FoundSource[] = [];
  for (const source of collected) {
    const first = source.entries[0];
    const full = source.dir === true || first === undefined ? root : first.path;
    sources.push({ rel: source.dir === true ? '' : (first?.rel ?? ''), full, info: await lstat(full) });
  }
  if (step.add && sources.some((s) => s.info.isFile() && ARCHIVE.test(s.rel)))
    throw new DevenvError(
      'DEVENV_UNSUPPORTED',
      `${where}: ADD of a local archive is not supported by the embedded builder yet`,
      { hint: 'unpack it in a RUN step after a COPY, or build with --runtime docker' },
    );
  return { sources, sourceRoot: root, hash: await copySourceHash(collected, flavour) };
}

/**
 * Runs a COPY/ADD step on `state`. Context sources are hashed before anything is mounted, so a cached
 * step costs no mount; sources in an image are read through a read-only view of it.
 */
export async function runCopy(
  ctx: BuildContext,
  job: DockerfileJob,
  state: ImageState,
  step: CopyStep,
  stages: readonly ImageState[],
  input: CopyStepInput,
): Promise<ImageState> {
  const parent = state.id ?? 'scratch';
  const from = await sourceImage(ctx, step, stages);
  let found: Found | undefined;
  if (from === undefined) {
    found = await findAndHash(step, job.contextDir, 'context', input.where, job.ignored, job.contextTar);
    const hit = await input.cached(cacheKey(parent, step.probeFor(found.hash)));
    if (hit !== undefined) return hit;
  }
  const root = await openStepRoot(ctx.store, ctx.scratch, state.chainId, input.step);
  try {
    const extra = from === undefined ? [] : [{ lowers: await readOnlyLowers(ctx, from) }];
    const outcome = await withMergedRoot(ctx, root, extra, async (view, [sourceView]) => {
      const use =
        found ?? (await findAndHash(step, sourceView ?? '', 'stage', input.where, undefined, job.contextTar));
      if (found === undefined) {
        const hit = await input.cached(cacheKey(parent, step.probeFor(use.hash)));
        if (hit !== undefined) return { hit, hash: use.hash };
      }
      const owner = step.chown === undefined ? undefined : await resolveOwner(view, step.chown, input.where);
      await copyInto(view, use.sources, step.dest, step.destIsDir, {
        owner,
        keepOwner: from !== undefined,
        mode: step.chmod,
      });
      return { hit: undefined, hash: use.hash };
    });
    if (outcome.hit !== undefined) return outcome.hit;
    const probe = step.probeFor(outcome.hash);
    const added = await commitStepRoot(ctx.store, root, state.chainId, ctx.lease, ctx.scratch);
    const next = await commitStep(
      ctx.store,
      state,
      { config: step.config, probe, createdBy: step.createdByFor(outcome.hash), author: step.author },
      added,
      ctx.lease,
      ctx.now(),
    );
    if (next.id !== undefined) await ctx.cache.record(cacheKey(parent, probe), next.id);
    return next;
  } finally {
    await rm(path.dirname(root.upper), { recursive: true, force: true });
  }
}
