/**
 * Builds one Dockerfile into the store with the classic builder's behaviour
 * (docs/embedded-runtime.md#building): every stage up to the target in order, each instruction
 * committed as an image on the previous one, and a step reused from the cache while its parent and
 * probe config match, until the first miss of the stage.
 */
import { randomBytes } from '../../../util/crypto.js';
import { mkdir, rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { cacheKey, StageBuilder, stageStarts, targetStage } from '../../../image/build/index.js';
import type { BuildStep } from '../../../image/build/index.js';
import { parseDockerfile } from '../../../image/dockerfile/index.js';
import type { ParsedDockerfile } from '../../../image/dockerfile/index.js';
import { runInSandbox } from '../sandbox/index.js';
import type { BuildContext, DockerfileJob } from './build-context.js';
import { runCopy } from './copy-step.js';
import { commitStep, loadState, runConfigOf, scratchState } from './image-state.js';
import type { ImageState } from './image-state.js';
import { commitStepRoot, openStepRoot } from './step-layer.js';
import { makeWorkdir } from './workdir-step.js';

/** Docker's PATH for a process whose image sets none. */
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What a Dockerfile build produced: the target's image and the image its last stage started from. */
export interface DockerfileResult {
  image: ImageState;
  /** The target stage's FROM image, the base a squash keeps. */
  base: ImageState;
}

/** The step counter shown as `step N/T`. */
interface Progress {
  step: number;
  total: number;
}

function instructionText(step: { instruction: { keyword: string; text: string } }): string {
  return `${step.instruction.keyword} ${step.instruction.text}`.trim();
}

/** Splits a process's output into lines for `build:output` events. */
function lineSink(ctx: BuildContext): { write(chunk: Buffer): void; flush(): void } {
  let pending = '';
  return {
    write(chunk) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) ctx.onEvent({ type: 'build:output', line: line.replace(/\r$/, '') });
    },
    flush() {
      if (pending !== '') ctx.onEvent({ type: 'build:output', line: pending });
      pending = '';
    },
  };
}

async function fromImage(ctx: BuildContext, job: DockerfileJob, ref: string): Promise<ImageState> {
  const local = await ctx.store.refs.resolve(ref).catch(() => undefined);
  if (local !== undefined && (!job.pull || job.localRefs.has(ref))) return loadState(ctx.store, local);
  return loadState(ctx.store, await ctx.pull(ref));
}

async function runStep(
  ctx: BuildContext,
  state: ImageState,
  step: Extract<BuildStep, { kind: 'run' }>,
  where: string,
  progress: Progress,
): Promise<ImageState> {
  const root = await openStepRoot(ctx.store, ctx.scratch, state.chainId, progress.step);
  try {
    const env = step.env.some((entry) => entry.startsWith('PATH=')) ? step.env : [DEFAULT_PATH, ...step.env];
    const out = lineSink(ctx);
    // A RUN sees each VOLUME as an empty mount, as on Docker: the folder is made in the image, and
    // what the step writes there is thrown away.
    const binds = [];
    for (const [i, target] of Object.keys(step.config.Volumes ?? {}).entries()) {
      const source = path.join(path.dirname(root.upper), `volume-${i}`);
      await mkdir(source);
      binds.push({ source, target, readonly: false });
    }
    const result = await runInSandbox({
      rootfs: { kind: 'overlay', lowers: root.lowers, upper: root.upper, work: root.work },
      argv: step.argv,
      env,
      cwd: step.cwd === '' ? '/' : step.cwd,
      user: step.user,
      network: 'host',
      hostname: randomBytes(6).toString('hex'),
      binds,
      stdin: 'ignore',
      output: {
        stdout: (chunk) => {
          out.write(chunk);
        },
        stderr: (chunk) => {
          out.write(chunk);
        },
      },
      signal: ctx.signal,
      scratchDir: path.join(ctx.scratch, `sandbox-${progress.step}`),
    });
    out.flush();
    if (ctx.signal?.aborted === true) throw ctx.signal.reason;
    if (result.exitCode !== 0)
      throw new DevenvError(
        'DEVENV_RUNTIME_FAILED',
        `step ${progress.step}/${progress.total} failed (${where}): the command '${step.argv.join(' ')}' returned a non-zero code: ${result.exitCode}`,
        {
          hint: 'fix the command in that step; the steps before it stay cached, so the next build resumes there',
        },
      );
    const added = await commitStepRoot(ctx.store, root, state.chainId, ctx.lease, ctx.scratch);
    return await commitStep(ctx.store, state, step, added, ctx.lease, ctx.now());
  } finally {
    await rm(path.dirname(root.upper), { recursive: true, force: true });
  }
}

/** Runs the steps of one stage on `start`; returns the stage's final image. */
async function buildStage(
  ctx: BuildContext,
  job: DockerfileJob,
  dockerfile: ParsedDockerfile,
  index: number,
  start: ImageState,
  stages: readonly ImageState[],
  progress: Progress,
): Promise<{ image: ImageState; builder: StageBuilder }> {
  const builder = new StageBuilder({
    dockerfile,
    stage: index,
    baseConfig: runConfigOf(start),
    buildArgs: job.buildArgs,
    proxyArgs: job.proxyArgs,
  });
  let state = start;
  let busted = job.noCache;
  for (const step of builder.steps()) {
    progress.step++;
    const where = `${job.file}:${step.instruction.line}`;
    const instruction = instructionText(step);
    const at = { step: progress.step, total: progress.total };
    ctx.onEvent({ type: 'build:step', ...at, instruction });
    const began = Date.now();
    const seen = { hit: false };
    // After the first miss the rest of the stage runs without looking, as Docker's builder does.
    const cached = async (key: string): Promise<ImageState | undefined> => {
      const found = busted ? undefined : await ctx.cache.lookup(key);
      if (found === undefined) {
        busted = true;
        return undefined;
      }
      seen.hit = true;
      ctx.onEvent({ type: 'build:step', ...at, instruction, cached: true });
      return loadState(ctx.store, found);
    };
    if (step.kind === 'copy') {
      state = await runCopy(ctx, job, state, step, stages, { where, step: progress.step, cached });
    } else {
      const key = cacheKey(state.id ?? 'scratch', step.probe);
      const reused = await cached(key);
      if (reused !== undefined) state = reused;
      else {
        if (step.kind === 'run') state = await runStep(ctx, state, step, where, progress);
        else if (step.kind === 'workdir') state = await makeWorkdir(ctx, state, step, progress.step);
        else state = await commitStep(ctx.store, state, step, undefined, ctx.lease, ctx.now());
        if (state.id !== undefined) await ctx.cache.record(key, state.id);
      }
    }
    if (!seen.hit) ctx.onEvent({ type: 'build:step-end', ...at, ms: Date.now() - began });
  }
  return { image: state, builder };
}

/** Builds `job` (every stage up to its target) into the store; nothing is tagged here. */
export async function buildDockerfile(ctx: BuildContext, job: DockerfileJob): Promise<DockerfileResult> {
  const dockerfile = parseDockerfile(job.text, job.file);
  const starts = stageStarts(dockerfile, job.buildArgs);
  const target = targetStage(dockerfile, job.target);
  const total = dockerfile.stages
    .slice(0, target + 1)
    .reduce((sum, stage) => sum + 1 + stage.instructions.length, 0);
  const progress: Progress = { step: 0, total };
  const stages: ImageState[] = [];
  const builders: StageBuilder[] = [];
  let base: ImageState | undefined;
  for (let index = 0; index <= target; index++) {
    const start = starts[index];
    const stage = dockerfile.stages[index];
    if (start === undefined || stage === undefined) throw new Error(`stage ${index} has no start`);
    progress.step++;
    ctx.onEvent({
      type: 'build:step',
      step: progress.step,
      total,
      instruction: `FROM ${stage.from.text}`.trim(),
    });
    let from: ImageState;
    if (start.base === 'scratch') from = scratchState(ctx.arch);
    else if ('stage' in start.base) {
      const earlier = stages[start.base.stage];
      if (earlier === undefined) throw new Error(`stage ${start.base.stage} was not built before ${index}`);
      from = earlier;
    } else from = await fromImage(ctx, job, start.base.image);
    base = from;
    const built = await buildStage(ctx, job, dockerfile, index, from, stages, progress);
    stages.push(built.image);
    builders.push(built.builder);
  }
  const unused = Object.keys(job.buildArgs).filter((name) =>
    builders.every((b) => b.unusedBuildArgs().includes(name)),
  );
  if (unused.length > 0)
    ctx.onEvent({
      type: 'warning',
      message: `One or more build-args [${unused.join(' ')}] were not consumed`,
    });
  const image = stages[target];
  if (image === undefined || base === undefined) throw new Error(`the target stage ${target} was not built`);
  return { image, base };
}
