/**
 * The container's environment at create time: `env:` references (`$PATH`) resolved against the
 * environment image, and the values used recorded on the container so a commit of it resolves the
 * same way. Small on purpose: `run` and `create` load it, the hot exec path does not need more.
 */
import { DEFAULT_PATH, envListToMap, parseEnvValue, resolveEnvRefs } from '../plan/env-refs.js';
import type { RunSpec } from '../plan/types.js';
import type { ImageSummary } from '../runtime/runtime.js';

/**
 * Label with the values of the image variables that `env:` refers to (`$PATH`), as they were in the
 * environment image. A container's commit carries it, so a container made from a commit (kept state,
 * a loaded bundle) resolves against the original values, not against the already-resolved ones.
 */
export const ENV_BASE_LABEL = 'dev.devenv.env-base';

/** The variables `env:` may refer to: the label's values when the image is a commit, else its Env. */
function envBase(image: ImageSummary): string[] {
  const base = recordedOrOwn(image);
  return base.some((line) => line.startsWith('PATH=')) ? base : [...base, `PATH=${DEFAULT_PATH}`];
}

function recordedOrOwn(image: ImageSummary): string[] {
  const recorded = image.labels[ENV_BASE_LABEL];
  if (recorded !== undefined) {
    try {
      const value: unknown = JSON.parse(recorded);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        return Object.entries(value).map(([k, v]) => `${k}=${String(v)}`);
    } catch {
      // An unreadable label is ignored: the image's own environment is the next best base.
    }
  }
  return image.env;
}

/** `spec` with its env references resolved against `image`, and the label that records their base. */
export function resolveRunEnv(spec: RunSpec, image: ImageSummary): RunSpec {
  const base = envBase(image);
  const referenced = new Set(
    Object.values(spec.env).flatMap((v) => parseEnvValue(v).flatMap((p) => ('ref' in p ? [p.ref] : []))),
  );
  const known = envListToMap(base);
  const recorded = Object.fromEntries([...referenced].sort().map((name) => [name, known.get(name) ?? '']));
  return {
    ...spec,
    env: resolveEnvRefs(spec.env, base),
    labels:
      referenced.size === 0 ? spec.labels : { ...spec.labels, [ENV_BASE_LABEL]: JSON.stringify(recorded) },
  };
}
