/** WORKDIR on the embedded builder: the folder is created (root-owned, 0755) when missing, as Docker does. */
import { mkdir, rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { BuildStep } from '../../../image/build/index.js';
import { openOverlays } from '../layers/index.js';
import { makeDirsInRoot } from './copy-files.js';
import type { BuildContext } from './build-context.js';
import { commitStep } from './image-state.js';
import type { ImageState } from './image-state.js';
import { commitStepRoot, openStepRoot } from './step-layer.js';
import type { StepRoot } from './step-layer.js';

/** Mounts the step's root read-write at `step-N/merged`; `use` gets the path this process reaches it by. */
export async function withMergedRoot<T>(
  ctx: BuildContext,
  root: StepRoot,
  extra: readonly { lowers: readonly string[] }[],
  use: (view: string, extraViews: string[]) => Promise<T>,
): Promise<T> {
  const base = path.dirname(root.upper);
  const targets = [path.join(base, 'merged'), ...extra.map((_, i) => path.join(base, `source-${i}`))];
  for (const target of targets) await mkdir(target, { recursive: true });
  const view = await openOverlays(
    [
      { lowers: root.lowers, upper: root.upper, work: root.work, target: targets[0] ?? '' },
      ...extra.map((spec, i) => ({ lowers: spec.lowers, target: targets[i + 1] ?? '' })),
    ],
    ctx.store.root,
  );
  try {
    const [merged = '', ...others] = view.paths;
    return await use(merged, others);
  } finally {
    await view.close();
  }
}

/** Runs a WORKDIR step on `state`. */
export async function makeWorkdir(
  ctx: BuildContext,
  state: ImageState,
  step: Extract<BuildStep, { kind: 'workdir' }>,
  index: number,
): Promise<ImageState> {
  const root = await openStepRoot(ctx.store, ctx.scratch, state.chainId, index);
  try {
    await withMergedRoot(ctx, root, [], (view) =>
      makeDirsInRoot(view, step.path.replace(/^\/+/, ''), { uid: 0, gid: 0 }),
    );
    const added = await commitStepRoot(ctx.store, root, state.chainId, ctx.lease, ctx.scratch);
    return await commitStep(ctx.store, state, step, added, ctx.lease, ctx.now());
  } finally {
    await rm(path.dirname(root.upper), { recursive: true, force: true });
  }
}
