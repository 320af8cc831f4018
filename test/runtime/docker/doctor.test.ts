/** The Docker part of `devenv doctor`: the three engine errors stay distinct; driver and mode are reported. */
import { describe, expect, it } from 'vitest';
import { engineError } from '../../../src/runtime/docker/docker-cli.js';
import { dockerChecks } from '../../../src/runtime/docker/doctor.js';
import type { DockerFacts } from '../../../src/runtime/docker/doctor.js';

const target = { binary: 'docker', env: {} };
const server = { version: '20.10.24', driver: 'overlay2', rootless: false, rootDir: '/var/lib/docker' };

function facts(overrides: Partial<DockerFacts>): DockerFacts {
  return {
    binary: 'docker',
    cli: { version: '28.2.2' },
    server,
    endpoint: 'the default socket',
    ...overrides,
  };
}

describe('docker doctor checks', () => {
  it('a healthy engine: CLI, daemon, driver and mode', () => {
    expect(dockerChecks(facts({}))).toEqual([
      { section: 'docker', name: 'docker CLI', status: 'ok', detail: 'version 28.2.2' },
      {
        section: 'docker',
        name: 'daemon',
        status: 'ok',
        detail: 'server 20.10.24 through the default socket',
      },
      {
        section: 'docker',
        name: 'storage driver',
        status: 'ok',
        detail: 'overlay2 (data root /var/lib/docker)',
      },
      expect.objectContaining({ name: 'mode', status: 'ok', detail: expect.stringContaining('rootful') }),
    ]);
    const rootless = dockerChecks(facts({ server: { ...server, rootless: true } }));
    expect(rootless.find((c) => c.name === 'mode')?.detail).toContain('rootless');
    expect(
      dockerChecks(facts({ server: { ...server, driver: 'vfs' } })).find((c) => c.name === 'storage driver'),
    ).toMatchObject({ status: 'warn', hint: expect.stringContaining('overlay2') });
  });

  it('missing CLI, daemon down and a refused socket are three different failures', () => {
    const missing = engineError(target, '', { code: 'ENOENT' })!;
    const down = engineError(
      target,
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    )!;
    const denied = engineError(
      target,
      'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info": dial unix /var/run/docker.sock: connect: permission denied\n',
    )!;
    const a = dockerChecks(facts({ cli: { error: missing }, server: undefined }));
    expect(a).toEqual([
      expect.objectContaining({
        name: 'docker CLI',
        status: 'fail',
        detail: 'the docker CLI was not found on PATH',
      }),
    ]);
    const b = dockerChecks(facts({ server: { error: down } }));
    expect(b[1]).toMatchObject({
      name: 'daemon',
      status: 'fail',
      detail: 'the Docker daemon is not running at unix:///var/run/docker.sock',
      hint: expect.stringContaining('systemctl start docker'),
    });
    const c = dockerChecks(facts({ server: { error: denied } }));
    expect(c[1]).toMatchObject({
      name: 'daemon',
      status: 'fail',
      detail: 'permission denied on the Docker socket unix:///var/run/docker.sock',
      hint: expect.stringContaining('docker group'),
    });
    expect(new Set([a[0]?.detail, b[1]?.detail, c[1]?.detail]).size).toBe(3);
  });
});
