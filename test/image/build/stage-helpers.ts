/** Runs a Dockerfile through the parser and one StageBuilder per stage, with no executor. */
import type {
  BuildStep,
  RunConfig,
  StageBuilder as StageBuilderType,
} from '../../../src/image/build/index.js';
import { StageBuilder } from '../../../src/image/build/index.js';
import { parseDockerfile } from '../../../src/image/dockerfile/index.js';

/** A hash standing in for the executor's COPY source hash. */
export const HASH = 'file:46e6f95d28f51bd1edd0c48088a122aa657e16813267892b1590cfa3c152bfdd';

export interface BuiltStage {
  steps: BuildStep[];
  builder: StageBuilderType;
  /** The run config after the last step (the base's when the stage has none). */
  config: RunConfig;
}

/** Every stage of `text`; a stage built FROM an earlier one starts from that stage's result. */
export function buildAll(
  text: string,
  options: {
    base?: RunConfig | null;
    buildArgs?: Record<string, string>;
    proxyArgs?: Record<string, string>;
  } = {},
): BuiltStage[] {
  const dockerfile = parseDockerfile(text, 'Dockerfile');
  const stages: BuiltStage[] = [];
  dockerfile.stages.forEach((stage, index) => {
    const earlier = stages.findIndex((_, i) => dockerfile.stages[i]?.name === stage.from.text.toLowerCase());
    const baseConfig = earlier >= 0 ? (stages[earlier]?.config ?? null) : (options.base ?? null);
    const builder = new StageBuilder({
      dockerfile,
      stage: index,
      baseConfig,
      buildArgs: options.buildArgs ?? {},
      proxyArgs: options.proxyArgs ?? {},
    });
    const steps = [...builder.steps()];
    const last = steps.at(-1);
    stages.push({ steps, builder, config: last?.config ?? baseConfig ?? ({} as RunConfig) });
  });
  return stages;
}

/** The history lines of steps, with COPY/ADD given {@link HASH}. */
export function historyOf(steps: readonly BuildStep[]): string[] {
  return steps.map((s) => (s.kind === 'copy' ? s.createdByFor(HASH) : s.createdBy));
}

/** The argv a container of this config runs by default. */
export function defaultArgv(config: RunConfig): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}
