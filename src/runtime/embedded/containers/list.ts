/**
 * The containers devenv made in a store, for `ls` and the TUI: their records and real states, and
 * nothing of the part of the runtime that starts or stops them (containers.ts loads execa, the
 * attach client and the sandbox; listing needs none of it).
 */
import { LABELS } from '../../../plan/compile-plan.js';
import type { ContainerSummary } from '../../runtime.js';
import { listConfigs } from './record.js';
import { summaryOf } from './running.js';

/** Every environment and throwaway container under `containersDir`, each in its real state. */
export async function listContainers(containersDir: string): Promise<ContainerSummary[]> {
  const configs = await listConfigs(containersDir);
  return Promise.all(
    configs
      .filter(
        (config) => config.labels[LABELS.name] !== undefined || config.labels[LABELS.runOf] !== undefined,
      )
      .map((config) => summaryOf(containersDir, config)),
  );
}
