/**
 * Container records of the in-memory runtime: what `docker create` makes of a RunSpec (labels merged
 * over the image's, mounts as inspect reports them, the config env a commit records) and the state
 * changes of starting and exiting.
 */
import { DevenvError } from '../../src/errors.js';
import { SECRET_ENV_TARGET } from '../../src/plan/secrets.js';
import type { RunSpec } from '../../src/plan/types.js';
import type { ContainerSummary, ImageSummary } from '../../src/runtime/runtime.js';

/** A container as the fake keeps it. */
export interface MemoryContainer {
  summary: ContainerSummary;
  spec: RunSpec;
  /** Env of its config: the image's, overridden by the spec's (what a commit records). */
  env: string[];
  /** Files written in it since it was created: its writable layer. */
  layer: Map<string, string>;
  log: string;
}

/** A failed docker command, worded as the Docker runtime reports one. */
export function failed(command: string, message: string): DevenvError {
  return new DevenvError('DEVENV_RUNTIME_FAILED', `docker ${command} failed (exit status 1):\n${message}`);
}

/** `8000:80` → `8000->80/tcp`, the form inspect reports bindings in. */
function binding(port: string): string {
  const [spec = '', proto = 'tcp'] = port.split('/');
  const parts = spec.split(':');
  const container = parts.pop() ?? '';
  return `${parts.join(':')}->${container}/${proto}`;
}

/** `NAME=value` lines → a map, keeping the order. */
export function envMap(lines: readonly string[]): Map<string, string> {
  return new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** The record `docker create` makes of `spec` on `image`; without a secret file, proxies go in the env. */
export function newContainer(
  id: string,
  spec: RunSpec,
  image: ImageSummary,
  secretEnvFile: string | undefined,
): MemoryContainer {
  const mounts: ContainerSummary['mounts'] = spec.mounts.map((m) =>
    m.type === 'bind'
      ? { type: 'bind', source: m.source, target: m.target }
      : { type: 'volume', source: `/var/lib/docker/volumes/${m.name}/_data`, target: m.target, name: m.name },
  );
  if (secretEnvFile !== undefined && Object.keys(spec.secretEnv).length > 0)
    mounts.push({ type: 'bind', source: secretEnvFile, target: SECRET_ENV_TARGET });
  const env = envMap(image.env);
  for (const [k, v] of Object.entries(spec.env)) env.set(k, v);
  if (secretEnvFile === undefined) for (const [k, v] of Object.entries(spec.secretEnv)) env.set(k, v);
  return {
    spec: structuredClone(spec),
    env: [...env].map(([k, v]) => `${k}=${v}`),
    layer: new Map(),
    log: '',
    summary: {
      id,
      name: spec.name,
      image: spec.image,
      imageId: image.id,
      state: 'created',
      created: new Date().toISOString(),
      labels: { ...image.labels, ...spec.labels },
      mounts,
      ports: [],
      requestedPorts: spec.network === 'private' ? spec.ports.map(binding) : [],
      network: { mode: spec.network === 'private' ? 'bridge' : spec.network, connected: false },
    },
  };
}

/** Started: running, its ports published, attached to its network. */
export function markRunning(c: MemoryContainer): void {
  c.summary.state = 'running';
  c.summary.startedAt = new Date().toISOString();
  c.summary.exitCode = 0;
  c.summary.ports = c.summary.requestedPorts ?? [];
  c.summary.network = c.summary.network && { ...c.summary.network, connected: true };
}

/** Its main process ended with `status`. */
export function markExited(c: MemoryContainer, status: number): void {
  c.summary.state = 'exited';
  c.summary.exitCode = status;
  c.summary.ports = [];
  c.summary.network = c.summary.network && { ...c.summary.network, connected: false };
}
