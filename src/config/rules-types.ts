/** Shared shapes of the rule checks. */
import type { Diagnostic } from './diagnostic.js';
import type { ParsedYaml } from './parse-yaml.js';
import type { DevenvConfig, Step } from './schema.js';

/** What the rules need to know about where the file lives. */
export interface RuleContext {
  file: string;
  /** Folder of devenv.yml; relative paths are resolved against it. */
  projectDir: string;
  homeDir: string;
  locate: ParsedYaml['locate'];
  sourceAt: ParsedYaml['sourceAt'];
}

/** Adds one located diagnostic. */
export type Report = (
  severity: Diagnostic['severity'],
  code: string,
  fieldPath: (string | number)[],
  message: string,
  hint?: string,
  which?: 'key' | 'value',
) => void;

/** The step lists of the environment and of every stage, with their field paths. */
export function stepsOf(config: DevenvConfig): { steps: readonly Step[]; at: (string | number)[] }[] {
  return [
    { steps: config.steps, at: ['steps'] },
    ...Object.entries(config.stages).map(([name, stage]) => ({
      steps: stage.steps ?? [],
      at: ['stages', name, 'steps'],
    })),
  ];
}
