/**
 * Whether devenv may talk to the Docker Engine API itself, over a unix socket, instead of running
 * the docker CLI: only when the CLI would reach the local engine through that socket too. Everything
 * the CLI resolves on its own (contexts, `tcp://` and `ssh://` hosts with their TLS and SSH
 * settings, Podman's CLI) stays with the CLI, so devenv never talks to a different engine than
 * `docker` would (docs/docker-engine-api.md).
 */
import { readFileSync } from 'node:fs';
import path from '../../../util/node-path.js';
import type { DockerTarget } from '../docker-cli.js';

/** The socket every Docker install listens on when nothing else is configured. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The context the CLI's config file selects (`docker context use`), if any. */
function configuredContext(env: DockerTarget['env']): string | undefined {
  const dir =
    env['DOCKER_CONFIG'] ??
    (env['HOME'] === undefined || env['HOME'] === '' ? undefined : path.join(env['HOME'], '.docker'));
  if (dir === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'config.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const config = JSON.parse(text) as unknown;
    const current = (config as { currentContext?: unknown } | null)?.currentContext;
    return typeof current === 'string' ? current : undefined;
  } catch {
    // The CLI itself will complain about a broken config; devenv leaves that to it.
    return '(unreadable config)';
  }
}

function isDefault(context: string | undefined): boolean {
  return context === undefined || context === '' || context === 'default';
}

/**
 * The path of the local engine's unix socket, or undefined when the CLI must be used: the binary is
 * not `docker`, `DEVENV_DOCKER_API=0` asks for the CLI, or a context, `DOCKER_CONTEXT` or the CLI
 * config names another engine, or `DOCKER_HOST` is not `unix://`. The order is the CLI's own:
 * `--context`, then `DOCKER_CONTEXT`, then `DOCKER_HOST`, then the config file's current context.
 */
export function engineSocket(target: DockerTarget): string | undefined {
  const { env } = target;
  if (target.binary !== 'docker' || env['DEVENV_DOCKER_API'] === '0') return undefined;
  if (!isDefault(target.context) || !isDefault(env['DOCKER_CONTEXT'])) return undefined;
  const host = env['DOCKER_HOST'];
  if (host !== undefined && host !== '') {
    if (!host.startsWith('unix://')) return undefined;
    const socket = host.slice('unix://'.length);
    return socket.startsWith('/') ? socket : undefined;
  }
  return isDefault(configuredContext(env)) ? DEFAULT_DOCKER_SOCKET : undefined;
}
