/**
 * The environment's interactive shell when devenv.yml names none and the base's name does not tell
 * (a mirror such as `registry.lan/debian`, a private image, a user Dockerfile): the built image
 * decides. Asking it costs a throwaway container, so the answer is kept per image id in the
 * environment's state folder.
 */
import { readFile } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { LABELS } from '../plan/compile-plan.js';
import type { RunSpec } from '../plan/types.js';
import type { ImageSummary } from '../runtime/runtime.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { EngineContext } from './engine-context.js';
import type { Project } from './image.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';

const CACHE_FILE = 'shell.json';

async function cached(stateDir: string, imageId: string): Promise<string | undefined> {
  try {
    const entry = JSON.parse(await readFile(path.join(stateDir, CACHE_FILE), 'utf8')) as {
      image?: unknown;
      shell?: unknown;
    };
    return entry.image === imageId && typeof entry.shell === 'string' ? entry.shell : undefined;
  } catch {
    // Missing or damaged: ask the image again.
    return undefined;
  }
}

/** The shell of the image `imageId`: bash where the image has it, else /bin/sh. */
export async function shellOfImage(ctx: EngineContext, stateDir: string, imageId: string): Promise<string> {
  const known = await cached(stateDir, imageId);
  if (known !== undefined) return known;
  const shell = (await ctx.runtime.findProgram(imageId, 'bash')) ?? '/bin/sh';
  await ensureWritableDir(stateDir, STATE_FOLDER);
  await writeFileAtomic(path.join(stateDir, CACHE_FILE), `${JSON.stringify({ image: imageId, shell })}\n`);
  return shell;
}

/** The spec with `shell` as its shell, recorded in the label `devenv shell NAME` reads. */
export function withShell(spec: RunSpec, shell: string): RunSpec {
  return { ...spec, shell, labels: { ...spec.labels, [LABELS.shell]: shell } };
}

/** The project with its shell settled against the built image (unchanged when devenv.yml or the base decided). */
export async function settleShell(
  ctx: EngineContext,
  project: Project,
  image: ImageSummary,
): Promise<Project> {
  const spec = project.plan.run;
  if (spec.shellFromImage !== true) return project;
  const shell = await shellOfImage(ctx, project.stateDir, image.id);
  return { ...project, plan: { ...project.plan, run: withShell(spec, shell) } };
}

/**
 * The shell of a container that exists: the project's when devenv.yml or the base decided it, else
 * the one recorded on the container when it was created from its image.
 */
export function containerShell(spec: RunSpec | undefined, labels: Readonly<Record<string, string>>): string {
  if (spec !== undefined && spec.shellFromImage !== true) return spec.shell;
  return labels[LABELS.shell] ?? spec?.shell ?? '/bin/sh';
}
