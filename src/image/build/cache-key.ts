/**
 * The build cache key of a step. Docker looks for an image whose parent is the current image and
 * whose stored probe config (`container_config`) equals this step's (daemon/images/cache compare.go);
 * the key hashes exactly that pair, so equal keys mean Docker would have taken the cached image.
 */
import { createHash } from '../../util/crypto.js';
import type { RunConfig } from './run-config.js';

const sortedKeys = (map: Record<string, unknown> | null | undefined): string[] =>
  Object.keys(map ?? {}).sort();

/**
 * sha256 (`sha256:<hex>`) over the parent image ID and the compared fields of the probe, in a fixed
 * encoding: ordered lists (Env, Cmd, Entrypoint, Shell, OnBuild; null and empty alike, as Docker
 * compares lengths), key sets (ExposedPorts, Volumes), the Labels map and the scalars.
 */
export function cacheKey(parentImageId: string, probe: RunConfig): string {
  const canonical = [
    parentImageId,
    probe.Env,
    probe.Cmd ?? [],
    probe.Entrypoint ?? [],
    probe.Shell ?? [],
    probe.OnBuild ?? [],
    sortedKeys(probe.ExposedPorts),
    sortedKeys(probe.Volumes),
    sortedKeys(probe.Labels).map((k) => [k, probe.Labels?.[k]]),
    probe.User,
    probe.WorkingDir,
    probe.StopSignal ?? '',
    probe.StopTimeout ?? null,
    probe.ArgsEscaped ?? false,
    probe.Healthcheck ?? null,
  ];
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical)).digest('hex')}`;
}
