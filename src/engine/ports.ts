/**
 * Which of the ports an environment asks for are not published, and why. `status` shows only what
 * Docker really publishes; a port that devenv.yml lists and nothing listens for is named with the
 * reason, instead of being shown as if it worked.
 */
import type { ContainerSummary } from '../runtime/runtime.js';

/** A port devenv.yml (or the container's config) asks for that is not published right now. */
export interface UnpublishedPort {
  /** As written: `8080:80`, or `8080->80/tcp` when it comes from the container's config. */
  port: string;
  reason: string;
}

/** What the project asks for: its `ports:` and `network:`. */
export interface PlannedPorts {
  ports: readonly string[];
  network: string;
}

/** `80/tcp` for `8080:80`, `127.0.0.1:8080:80/udp`, `80` or `8080->80/tcp`. */
function containerKey(port: string): string {
  const [spec = '', proto = 'tcp'] = port.replace(/^.*->/, '').split('/');
  const container = spec.split(':').pop() ?? spec;
  return `${container.split('-')[0] ?? container}/${proto}`;
}

function reasonFor(container: ContainerSummary, network: string): string {
  if (network === 'host') return "network: host — the service listens on the host's port directly";
  if (network === 'none') return 'network: none — the container has no network';
  if (container.state !== 'running')
    return `the container is ${container.state}; ports are published while it runs`;
  if (container.network?.connected === false)
    return `network: ${network} — the engine has no bridge network to publish through, so the container has no network`;
  return 'the engine did not publish it';
}

/**
 * The requested ports missing from `container.ports`, each with the reason. The container's own
 * network mode wins over the project's (it is what runs); the project's port list wins over the
 * container's bindings, because devenv asks Docker to publish nothing on host or none networks.
 */
export function unpublishedPorts(
  container: ContainerSummary,
  planned: PlannedPorts | undefined,
): UnpublishedPort[] {
  const requested = planned?.ports ?? container.requestedPorts ?? [];
  const mode = container.network?.mode ?? planned?.network ?? 'private';
  const network = mode === 'bridge' ? 'private' : mode;
  const published = new Set(container.ports.map(containerKey));
  return requested
    .filter((port) => network === 'host' || network === 'none' || !published.has(containerKey(port)))
    .map((port) => ({ port, reason: reasonFor(container, network) }));
}
