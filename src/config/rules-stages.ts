/** Rules about stages: copy.from names a stage, and no stage copies from itself. */
import type { DevenvConfig } from './schema.js';
import { stepsOf } from './rules-types.js';
import type { Report } from './rules-types.js';
import { suggest } from './suggest.js';

/** copy.from names a declared stage; stage names are unique ignoring case; no stage copies from itself. */
export function checkStages(config: DevenvConfig, report: Report): void {
  const names = Object.keys(config.stages);
  const lower = new Map<string, string>();
  for (const name of names) {
    const clash = lower.get(name.toLowerCase());
    if (clash !== undefined)
      report(
        'error',
        'stage-clash',
        ['stages', name],
        `stage names are case-insensitive; "${name}" clashes with "${clash}"`,
        undefined,
        'key',
      );
    lower.set(name.toLowerCase(), name);
  }
  const deps = new Map<string, string[]>();
  for (const { steps, at } of stepsOf(config)) {
    steps.forEach((step, i) => {
      if (!('copy' in step) || step.copy.from === undefined) return;
      const from = step.copy.from;
      const owner = at[0] === 'stages' ? String(at[1]) : undefined;
      if (!names.includes(from)) {
        const guess = suggest(from, names);
        report(
          'error',
          'unknown-stage',
          [...at, i, 'copy', 'from'],
          `no stage named "${from}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
          names.length === 0 ? 'declare it under stages:' : `declared stages: ${names.join(', ')}`,
        );
      } else if (owner !== undefined) {
        deps.set(owner, [...(deps.get(owner) ?? []), from]);
      }
    });
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): boolean => {
    if (done.has(name)) return false;
    if (visiting.has(name)) return true;
    visiting.add(name);
    const cyclic = (deps.get(name) ?? []).some(visit);
    visiting.delete(name);
    done.add(name);
    return cyclic;
  };
  for (const name of names) {
    if (visit(name)) {
      report(
        'error',
        'stage-cycle',
        ['stages', name],
        `stage "${name}" copies from itself through other stages`,
        'remove one of the copy.from steps in the cycle',
        'key',
      );
      return;
    }
  }
}
