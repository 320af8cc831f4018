/**
 * `docker inspect` output → the runtime-neutral summaries. Validated with zod so a CLI that prints
 * something unexpected gives a clear error instead of undefined fields.
 */
import { z } from 'zod';
import { DevenvError } from '../../errors.js';
import type { ContainerState, ContainerSummary, ImageSummary, VolumeSummary } from '../runtime.js';

const labels = z
  .record(z.string(), z.string())
  .nullish()
  .transform((v) => v ?? {});
const argv = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? null);

/** `80/tcp` → host bindings, as both the requested (HostConfig) and published (NetworkSettings) maps hold them. */
const portMap = z
  .record(
    z.string(),
    z.array(z.object({ HostIp: z.string().nullish(), HostPort: z.string().nullish() })).nullish(),
  )
  .nullish();

/** `[IP:]HOST->CONTAINER/proto` for each binding, without the duplicate IPv6 entry of a wildcard. */
function formatBindings(map: z.output<typeof portMap>): string[] {
  const out = Object.entries(map ?? {}).flatMap(([port, bindings]) =>
    (bindings ?? []).map((b) => {
      const ip = b.HostIp ?? '';
      const shown =
        ip === '' || ip === '0.0.0.0' || ip === '::' ? '' : ip.includes(':') ? `[${ip}]:` : `${ip}:`;
      return `${shown}${b.HostPort ?? ''}->${port}`;
    }),
  );
  return [...new Set(out)];
}

const ImageInspect = z.object({
  Id: z.string(),
  RepoTags: z.array(z.string()).nullish(),
  RepoDigests: z.array(z.string()).nullish(),
  Created: z.string().nullish(),
  Size: z.number().nullish(),
  Config: z
    .object({ Labels: labels, Entrypoint: argv, Cmd: argv, Env: z.array(z.string()).nullish() })
    .nullish(),
});

const ContainerInspect = z.object({
  Id: z.string(),
  Name: z.string(),
  Image: z.string(),
  Created: z.string().nullish(),
  State: z.object({
    Status: z.string(),
    ExitCode: z.number().nullish(),
    StartedAt: z.string().nullish(),
    Running: z.boolean().nullish(),
  }),
  Config: z.object({ Image: z.string(), Labels: labels }),
  Mounts: z
    .array(
      z.object({
        Type: z.string(),
        Source: z.string().nullish(),
        Destination: z.string(),
        Name: z.string().nullish(),
      }),
    )
    .nullish(),
  HostConfig: z.object({ PortBindings: portMap, NetworkMode: z.string().nullish() }).nullish(),
  NetworkSettings: z
    .object({
      Ports: portMap,
      Networks: z.record(z.string(), z.object({ EndpointID: z.string().nullish() }).nullish()).nullish(),
    })
    .nullish(),
});

const VolumeInspect = z.object({ Name: z.string(), Labels: labels });

function parseJsonLines<T>(text: string, schema: z.ZodType<T>, what: string): T[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DevenvError('DEVENV_RUNTIME_FAILED', `docker printed something that is not JSON for ${what}`, {
      cause: error,
    });
  }
  const result = z.array(schema).safeParse(parsed);
  if (!result.success)
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `unexpected ${what} from docker: ${result.error.issues[0]?.message ?? ''}`,
    );
  return result.data;
}

/** Parses `docker image inspect` (a JSON array). */
export function parseImages(text: string): ImageSummary[] {
  return parseJsonLines(text, ImageInspect, 'image inspect').map((i) => ({
    id: i.Id,
    tags: i.RepoTags ?? [],
    repoDigests: i.RepoDigests ?? [],
    created: i.Created ?? undefined,
    size: i.Size ?? undefined,
    labels: i.Config?.Labels ?? {},
    entrypoint: i.Config?.Entrypoint ?? null,
    cmd: i.Config?.Cmd ?? null,
    env: i.Config?.Env ?? [],
  }));
}

const STATES: readonly ContainerState[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'removing',
];

/** Parses `docker container inspect` (a JSON array). */
export function parseContainers(text: string): ContainerSummary[] {
  return parseJsonLines(text, ContainerInspect, 'container inspect').map((c) => ({
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    state: (STATES as readonly string[]).includes(c.State.Status)
      ? (c.State.Status as ContainerState)
      : 'dead',
    exitCode: c.State.ExitCode ?? undefined,
    created: c.Created ?? undefined,
    startedAt: c.State.StartedAt ?? undefined,
    labels: c.Config.Labels,
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type,
      source: m.Source ?? '',
      target: m.Destination,
      name: m.Name ?? undefined,
    })),
    // What Docker really publishes: a port asked for on an engine without a bridge, or on a stopped
    // container, has a binding in HostConfig and nothing here.
    ports: formatBindings(c.NetworkSettings?.Ports),
    requestedPorts: formatBindings(c.HostConfig?.PortBindings),
    network: networkOf(c),
  }));
}

/** The network mode, and whether the container really joined that network (it has an endpoint). */
function networkOf(c: z.output<typeof ContainerInspect>): ContainerSummary['network'] {
  const mode = c.HostConfig?.NetworkMode ?? undefined;
  if (mode === undefined) return undefined;
  const endpoint = c.NetworkSettings?.Networks?.[mode]?.EndpointID ?? '';
  return { mode, connected: endpoint !== '' };
}

/** Parses `docker volume inspect` (a JSON array). */
export function parseVolumes(text: string): VolumeSummary[] {
  return parseJsonLines(text, VolumeInspect, 'volume inspect').map((v) => ({
    name: v.Name,
    labels: v.Labels,
  }));
}
