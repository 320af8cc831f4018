/**
 * Builds the environment's image only when something it is made from changed: the plan (Dockerfile,
 * build args, prerequisites), the files COPY reads and any base tarball. The digest of those inputs
 * is a label on the image, so no side database is needed.
 */
import path from '../util/node-path.js';
import { DevenvError } from '../errors.js';
import { digestOf } from '../plan/digest.js';
import type { Plan } from '../plan/types.js';
import { ImageNotFoundError } from '../runtime/image-not-found.js';
import { hashFile } from '../util/hash-file.js';
import type { ImageSummary } from '../runtime/runtime.js';
import type { EngineContext } from './engine-context.js';
import { withEnvLock } from './env-lock.js';
import { missingInputs } from './missing-inputs.js';
import { removeSupersededImages } from './superseded.js';

/** Label carrying the digest of everything the image was built from. */
export const INPUTS_LABEL = 'dev.devenv.inputs';

/** Where a plan lives: its project folder and per-environment state folder. */
export interface Project {
  plan: Plan;
  projectDir: string;
  stateDir: string;
  /** The text of devenv.yml, for bundles. */
  configText?: string | undefined;
  /** `file:line:col` of the devenv.yml field that names an image, for errors about that image. */
  locateImage?: ((ref: string) => string | undefined) | undefined;
  /**
   * Remembers the inputs digest across commands (the plan cache): returns the one it holds while the
   * inputs' stat is unchanged, else runs `compute` and keeps its result.
   */
  rememberInputs?: ((compute: () => Promise<string>) => Promise<string>) | undefined;
}

export interface BuildOptions {
  noCache: boolean;
  pull: boolean;
  squash: boolean;
  /** Build even when the inputs are unchanged. */
  force: boolean;
}

/** The digest of every input of the image. */
export async function inputsDigest(project: Project): Promise<string> {
  return project.rememberInputs === undefined
    ? hashInputs(project)
    : project.rememberInputs(() => hashInputs(project));
}

async function hashInputs(project: Project): Promise<string> {
  const { image } = project.plan;
  const tarballs = await Promise.all(
    image.prerequisites.flatMap((p) =>
      p.kind === 'tarball' ? [hashFile(path.join(project.projectDir, p.tarball))] : [],
    ),
  );
  // Loaded here, not at the top: it brings tar-stream, and a plan cache hit never hashes the context.
  const { hashContext } = await import('../image/context-tar.js');
  return digestOf({
    plan: project.plan.digests.image,
    context: await hashContext(project.projectDir, image.contextPaths),
    tarballs,
  });
}

/** What {@link checkImage} found: the image to use as it is, or the inputs digest of the build due. */
export type ImageCheck = { image: ImageSummary } | { build: string };

/**
 * Whether the environment's image must be built, found by reads alone: the current image when its
 * inputs are unchanged (or when they are missing and it exists: see {@link existingWithoutInputs}),
 * else the digest the build will label. A user Dockerfile or a bootstrap base always goes to the
 * builder, whose layer cache decides.
 */
export async function checkImage(
  ctx: EngineContext,
  project: Project,
  options: BuildOptions,
): Promise<ImageCheck> {
  const { image } = project.plan;
  const missing = missingInputs(project.plan, project.projectDir);
  if (missing.length > 0) return { image: await existingWithoutInputs(ctx, project, options, missing) };
  const opaque = image.prerequisites.some((p) => p.kind !== 'tarball');
  const reuse = !options.force && !options.noCache && !options.pull && !opaque;
  // Both at once, but a problem with the project's own files is reported before one of the
  // runtime's: it is the user's to fix whichever runtime runs the build.
  const inspecting = reuse ? ctx.runtime.inspectImage(image.tag) : Promise.resolve(undefined);
  inspecting.catch(() => undefined);
  const inputs = await inputsDigest(project);
  const existing = await inspecting;
  return existing?.labels[INPUTS_LABEL] === inputs ? { image: existing } : { build: inputs };
}

/** Returns the environment's image, building it when {@link checkImage} says so. */
export async function ensureImage(
  ctx: EngineContext,
  project: Project,
  options: BuildOptions,
): Promise<{ image: ImageSummary; built: boolean }> {
  const check = await checkImage(ctx, project, options);
  if ('image' in check) return { image: check.image, built: false };
  const { image } = project.plan;
  ctx.onEvent({ type: 'info', message: `building ${image.tag}` });
  const built = await ctx.runtime
    .buildImage(
      {
        image,
        projectDir: project.projectDir,
        labels: { [INPUTS_LABEL]: check.build },
        noCache: options.noCache,
        pull: options.pull,
        squash: options.squash || image.squash,
        env: ctx.env,
      },
      ctx.onEvent,
    )
    .catch((error: unknown) => {
      const where = error instanceof ImageNotFoundError ? project.locateImage?.(error.ref) : undefined;
      throw where === undefined || !(error instanceof ImageNotFoundError) ? error : error.at(where);
    });
  return { image: built, built: true };
}

/**
 * The environment's image when files it was built from are missing (the validation of devenv.yml
 * has already warned of each): it runs as it is, as after `devenv load` on another machine, and a
 * build, or no image at all, is refused with the files it needs.
 */
async function existingWithoutInputs(
  ctx: EngineContext,
  project: Project,
  options: BuildOptions,
  missing: string[],
): Promise<ImageSummary> {
  const { tag } = project.plan.image;
  const forced = options.force || options.noCache || options.pull;
  const existing = forced ? undefined : await ctx.runtime.inspectImage(tag);
  if (existing !== undefined) return existing;
  throw new DevenvError(
    'DEVENV_CONFIG_INVALID',
    `cannot build ${tag}: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in ${project.projectDir}`,
    { hint: 'copy the files the image is built from into the project folder, then run again' },
  );
}

/**
 * `build`: {@link ensureImage} under the environment's lock (an `up` may be building or creating at
 * the same time), then removes what the new image superseded when nothing uses it any more.
 */
export function buildEnvironmentImage(
  ctx: EngineContext,
  project: Project,
  options: BuildOptions,
): Promise<{ image: ImageSummary; built: boolean }> {
  const { name } = project.plan.run;
  return withEnvLock(ctx, name, 'devenv build', async () => {
    const result = await ensureImage(ctx, project, options);
    if (result.built) await removeSupersededImages(ctx, name);
    return result;
  });
}
