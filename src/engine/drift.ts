/**
 * How an environment relates to its devenv.yml right now, in one report that `devenv status`, the
 * TUI and watch share: is the image out of date, did the run settings change, or is it in sync.
 * Read-only: it inspects and hashes, it never builds or locks.
 */
import { runSettingsOf } from '../plan/compile-plan.js';
import type { ContainerSummary, Runtime } from '../runtime/runtime.js';
import { INPUTS_LABEL, inputsDigest } from './image.js';
import type { Project } from './image.js';
import { describeRunChanges, readRunSettings } from './run-changes.js';
import { driftOf } from './up.js';

/**
 * - `not-built`: no image under the plan's tag yet;
 * - `image-stale`: devenv.yml or a file the build reads changed since the image was built;
 * - `image-changed`: the image was rebuilt but the container still runs the previous one;
 * - `run-changed`: the image is current, run settings (mounts, env, ports …) changed;
 * - `not-created`: the image is current and there is no container;
 * - `in-sync`: nothing for `devenv up` to do but start it.
 */
export type DriftState =
  'not-built' | 'image-stale' | 'image-changed' | 'run-changed' | 'not-created' | 'in-sync';

export interface DriftReport {
  state: DriftState;
  /** One line for people: what differs and what `devenv up` would do about it. */
  summary: string;
  /** Run settings that changed, one phrase each (`mounts (+ /data)`); empty unless `run-changed`. */
  changes: string[];
}

const SUMMARY: Record<DriftState, string> = {
  'not-built': 'image not built (devenv up builds it)',
  'image-stale': 'image out of date: devenv.yml or a file the build reads changed (devenv up rebuilds it)',
  'image-changed': 'the image was rebuilt; the container runs the previous one (devenv up recreates it)',
  'run-changed': 'run settings changed (devenv up recreates it, keeping files)',
  'not-created': 'no container yet (devenv up creates it)',
  'in-sync': 'in sync with devenv.yml',
};

/** Compares the project's plan with its image and container (`container` as inspected, if any). */
export async function driftReport(
  runtime: Pick<Runtime, 'inspectImage'>,
  project: Project,
  container: ContainerSummary | undefined,
): Promise<DriftReport> {
  const report = (state: DriftState, changes: string[] = []): DriftReport => ({
    state,
    summary: changes.length === 0 ? SUMMARY[state] : `run settings changed: ${changes.join(', ')}`,
    changes,
  });
  const image = await runtime.inspectImage(project.plan.image.tag);
  if (image === undefined) return report('not-built');
  if (image.labels[INPUTS_LABEL] !== (await inputsDigest(project))) return report('image-stale');
  if (container === undefined) return report('not-created');
  const drift = driftOf(container, image, project.plan.digests.run);
  if (drift === 'image') return report('image-changed');
  if (drift === 'none') return report('in-sync');
  const before = readRunSettings(container.labels);
  return report(
    'run-changed',
    before === undefined ? [] : describeRunChanges(before, runSettingsOf(project.plan.run)),
  );
}
