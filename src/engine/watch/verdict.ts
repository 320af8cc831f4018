/**
 * What a change of devenv.yml or of a COPY source means for the environment, from the reloaded
 * project and the shared drift report: rebuild, recreate keeping files, nothing, or an invalid file.
 */
import path from '../../util/node-path.js';
import { ConfigError } from '../../config/diagnostic.js';
import type { Runtime } from '../../runtime/runtime.js';
import { driftReport } from '../drift.js';
import type { DriftState } from '../drift.js';
import type { Project } from '../image.js';

/** Every verdict carries `paths`: the files whose content changed (absolute, sorted). */
export type WatchVerdict =
  /** Image drift: a build input changed; `devenv up` rebuilds and recreates. */
  | { kind: 'rebuild'; summary: string; paths: string[] }
  /** Run drift only: `devenv up` recreates the container and keeps its files. */
  | { kind: 'recreate'; summary: string; changes: string[]; paths: string[] }
  /** devenv.yml does not validate; the diagnostics carry file:line:col. */
  | { kind: 'invalid'; error: ConfigError; paths: string[] }
  /** The content changed but not in a way that matters (a comment, a reordering). */
  | { kind: 'none'; paths: string[] };

/** Which changes `rebuild` reports, in words. */
const IMAGE_DRIFT: Partial<Record<DriftState, string>> = {
  'not-built': 'no image built for it yet',
  'image-stale': 'image out of date',
  'image-changed': 'the container runs an older image',
};

/** `devenv.yml`, `app.txt and devenv.yml`, `a.txt, b.txt and 3 more`: the changed files, for a summary. */
export function changedFilesLabel(projectDir: string, paths: readonly string[]): string {
  const names = paths.map((p) => {
    const relative = path.relative(projectDir, p);
    return relative === '' || relative.startsWith('..') ? p : relative;
  });
  if (names.length <= 2) return names.join(' and ');
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
}

/**
 * The verdict on `paths` having changed: reloads the project (a {@link ConfigError} becomes
 * `invalid`; other failures are thrown) and compares it with its image and container. Returns the
 * reloaded project too, so the caller can follow new COPY sources.
 */
export async function verdictOf(
  runtime: Pick<Runtime, 'inspectImage' | 'inspectContainer'>,
  loadProject: () => Promise<Project>,
  paths: string[],
): Promise<{ verdict: WatchVerdict; project?: Project }> {
  let project: Project;
  try {
    project = await loadProject();
  } catch (error) {
    if (error instanceof ConfigError) return { verdict: { kind: 'invalid', error, paths } };
    throw error;
  }
  const container = await runtime.inspectContainer(project.plan.name);
  const drift = await driftReport(runtime, project, container);
  const image = IMAGE_DRIFT[drift.state];
  if (image !== undefined) {
    const summary = `${changedFilesLabel(project.projectDir, paths)} changed: ${image}`;
    return { verdict: { kind: 'rebuild', summary, paths }, project };
  }
  if (drift.state === 'run-changed')
    return {
      verdict: { kind: 'recreate', summary: drift.summary, changes: drift.changes, paths },
      project,
    };
  return { verdict: { kind: 'none', paths }, project };
}
