/**
 * Docker's inspect documents → the runtime-neutral summaries. The CLI prints an array of the same
 * objects the Engine API returns one at a time, so both paths share these checks. They are the small
 * typed checks of util/shape.ts rather than zod: every exec and `up` reads an inspect, and loading
 * zod would cost more than the call. A document of the wrong shape is an error that names the field.
 */
import { DevenvError } from '../../errors.js';
import {
  array,
  boolean,
  nullish,
  number,
  object,
  parseShape,
  record,
  ShapeError,
  string,
  withDefault,
} from '../../util/shape.js';
import type { Check, Checked } from '../../util/shape.js';
import type { ContainerState, ContainerSummary, ImageSummary, VolumeSummary } from '../runtime.js';

const labels = withDefault(record(string), {});
const argv = nullish(array(string));

/** `80/tcp` → host bindings, as both the requested (HostConfig) and published (NetworkSettings) maps hold them. */
const portMap = nullish(
  record(nullish(array(object({ HostIp: nullish(string), HostPort: nullish(string) })))),
);

/** `[IP:]HOST->CONTAINER/proto` for each binding, without the duplicate IPv6 entry of a wildcard. */
function formatBindings(map: Checked<typeof portMap>): string[] {
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

const ImageInspect = object({
  Id: string,
  RepoTags: nullish(array(string)),
  RepoDigests: nullish(array(string)),
  Created: nullish(string),
  Size: nullish(number),
  Config: nullish(object({ Labels: labels, Entrypoint: argv, Cmd: argv, Env: nullish(array(string)) })),
});

const ContainerInspect = object({
  Id: string,
  Name: string,
  Image: string,
  Created: nullish(string),
  State: object({
    Status: string,
    ExitCode: nullish(number),
    StartedAt: nullish(string),
    Running: nullish(boolean),
  }),
  Config: object({ Image: string, Labels: labels }),
  Mounts: nullish(
    array(
      object({
        Type: string,
        Source: nullish(string),
        Destination: string,
        Name: nullish(string),
      }),
    ),
  ),
  HostConfig: nullish(object({ PortBindings: portMap, NetworkMode: nullish(string) })),
  NetworkSettings: nullish(
    object({
      Ports: portMap,
      Networks: nullish(record(nullish(object({ EndpointID: nullish(string) })))),
    }),
  ),
});

const VolumeInspect = object({ Name: string, Labels: labels });

/** Checks one document; a mismatch is a runtime failure naming `what` and the field. */
function checked<T>(check: Check<T>, value: unknown, what: string): T {
  try {
    return parseShape(check, value);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new DevenvError('DEVENV_RUNTIME_FAILED', `unexpected ${what} from docker: ${error.message}`, {
      hint: 'the engine answered in a form devenv does not know; check `docker version` (devenv needs API 1.41 or newer)',
      cause: error,
    });
  }
}

/** The documents of a CLI inspect (a JSON array). */
function parseArray<T>(text: string, check: Check<T>, what: string): T[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DevenvError('DEVENV_RUNTIME_FAILED', `docker printed something that is not JSON for ${what}`, {
      cause: error,
    });
  }
  return checked(array(check), parsed, what);
}

/** One `docker image inspect` document (an Engine API answer, or an element of the CLI's array). */
export function imageSummary(value: unknown): ImageSummary {
  return toImage(checked(ImageInspect, value, 'image inspect'));
}

function toImage(i: Checked<typeof ImageInspect>): ImageSummary {
  return {
    id: i.Id,
    tags: i.RepoTags ?? [],
    repoDigests: i.RepoDigests ?? [],
    created: i.Created,
    size: i.Size,
    labels: i.Config?.Labels ?? {},
    entrypoint: i.Config?.Entrypoint ?? null,
    cmd: i.Config?.Cmd ?? null,
    env: i.Config?.Env ?? [],
  };
}

/** Parses `docker image inspect` (a JSON array). */
export function parseImages(text: string): ImageSummary[] {
  return parseArray(text, ImageInspect, 'image inspect').map(toImage);
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

/** One `docker container inspect` document (an Engine API answer, or an element of the CLI's array). */
export function containerSummary(value: unknown): ContainerSummary {
  return toContainer(checked(ContainerInspect, value, 'container inspect'));
}

function toContainer(c: Checked<typeof ContainerInspect>): ContainerSummary {
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    state: (STATES as readonly string[]).includes(c.State.Status)
      ? (c.State.Status as ContainerState)
      : 'dead',
    exitCode: c.State.ExitCode,
    created: c.Created,
    startedAt: c.State.StartedAt,
    labels: c.Config.Labels,
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type,
      source: m.Source ?? '',
      target: m.Destination,
      name: m.Name,
    })),
    // What Docker really publishes: a port asked for on an engine without a bridge, or on a stopped
    // container, has a binding in HostConfig and nothing here.
    ports: formatBindings(c.NetworkSettings?.Ports),
    requestedPorts: formatBindings(c.HostConfig?.PortBindings),
    network: networkOf(c),
  };
}

/** Parses `docker container inspect` (a JSON array). */
export function parseContainers(text: string): ContainerSummary[] {
  return parseArray(text, ContainerInspect, 'container inspect').map(toContainer);
}

/** The network mode, and whether the container really joined that network (it has an endpoint). */
function networkOf(c: Checked<typeof ContainerInspect>): ContainerSummary['network'] {
  const mode = c.HostConfig?.NetworkMode;
  if (mode === undefined) return undefined;
  const endpoint = c.NetworkSettings?.Networks?.[mode]?.EndpointID ?? '';
  return { mode, connected: endpoint !== '' };
}

/** Parses `docker volume inspect` (a JSON array). */
export function parseVolumes(text: string): VolumeSummary[] {
  return parseArray(text, VolumeInspect, 'volume inspect').map((v) => ({
    name: v.Name,
    labels: v.Labels,
  }));
}
