/**
 * `devenv doctor`, Docker part: is the CLI there (which version), does the daemon answer (or is it
 * missing, down, or refusing us: the three errors of docker-cli.ts), which server version, storage
 * driver and mode (rootless or not), and which endpoint (DOCKER_HOST or a context) is in use. The
 * probes collect facts; {@link dockerChecks} turns them into findings without touching the host.
 */
import { z } from 'zod';
import { DevenvError, isDevenvError } from '../../errors.js';
import { check } from '../checks.js';
import type { HostCheck } from '../checks.js';
import { docker } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';

/** What the probes found out about the engine. */
export interface DockerFacts {
  binary: string;
  /** `docker --version`, or the classified error (missing CLI). */
  cli: { version: string } | { error: DevenvError };
  /** `docker info`, or the classified error (daemon down, permission); absent without a CLI. */
  server?: { version: string; driver: string; rootless: boolean; rootDir: string } | { error: DevenvError };
  /** How the CLI reaches the engine, in words. */
  endpoint: string;
}

const InfoSchema = z.looseObject({
  ServerVersion: z.string().catch(''),
  Driver: z.string().catch(''),
  DockerRootDir: z.string().catch(''),
  SecurityOptions: z.array(z.string()).nullish().catch(null),
});

function asDevenvError(error: unknown): DevenvError {
  return isDevenvError(error)
    ? error
    : new DevenvError('DEVENV_RUNTIME_FAILED', error instanceof Error ? error.message : String(error));
}

/** Runs the probes against `target`. Never throws: failures become facts. */
export async function probeDocker(target: DockerTarget): Promise<DockerFacts> {
  const host = target.env['DOCKER_HOST'];
  let endpoint =
    target.context !== undefined
      ? `context ${target.context}`
      : host !== undefined && host !== ''
        ? `DOCKER_HOST=${host}`
        : 'the default socket';
  let cli: DockerFacts['cli'];
  try {
    const text = await docker(target, ['--version']);
    cli = { version: /version ([^\s,]+)/i.exec(text)?.[1] ?? text.trim() };
  } catch (error) {
    return { binary: target.binary, cli: { error: asDevenvError(error) }, endpoint };
  }
  if (endpoint === 'the default socket' && target.binary === 'docker') {
    const context = await docker(target, ['context', 'show']).catch(() => '');
    if (context !== '' && context !== 'default') endpoint = `context ${context}`;
  }
  let server: DockerFacts['server'];
  try {
    const info = InfoSchema.parse(JSON.parse(await docker(target, ['info', '--format', '{{json .}}'])));
    server = {
      version: info.ServerVersion,
      driver: info.Driver,
      rootless: (info.SecurityOptions ?? []).some((o) => o.includes('name=rootless')),
      rootDir: info.DockerRootDir,
    };
  } catch (error) {
    server = { error: asDevenvError(error) };
  }
  return { binary: target.binary, cli, server, endpoint };
}

/** The findings for `facts` (pure). */
export function dockerChecks(facts: DockerFacts): HostCheck[] {
  const name = facts.binary;
  if ('error' in facts.cli)
    return [check('docker', `${name} CLI`, 'fail', facts.cli.error.message, facts.cli.error.hint)];
  const checks = [check('docker', `${name} CLI`, 'ok', `version ${facts.cli.version}`)];
  const server = facts.server;
  if (server === undefined) return checks;
  if ('error' in server) {
    checks.push(check('docker', 'daemon', 'fail', server.error.message, server.error.hint));
    return checks;
  }
  checks.push(check('docker', 'daemon', 'ok', `server ${server.version} through ${facts.endpoint}`));
  if (server.driver === 'vfs')
    checks.push(
      check(
        'docker',
        'storage driver',
        'warn',
        `vfs copies every layer in full (data root ${server.rootDir})`,
        'configure the overlay2 storage driver in /etc/docker/daemon.json',
      ),
    );
  else if (server.driver !== '')
    checks.push(check('docker', 'storage driver', 'ok', `${server.driver} (data root ${server.rootDir})`));
  checks.push(
    check(
      'docker',
      'mode',
      'ok',
      server.rootless
        ? 'rootless: the daemon runs as your user'
        : 'rootful: whoever can use the socket is root-equivalent on this machine',
    ),
  );
  return checks;
}
