/**
 * When devenv talks to the Engine API itself and when it leaves the call to the docker CLI: only
 * for the docker binary on a local unix socket that the CLI would use too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineSocket } from '../../../src/runtime/docker/engine-api/endpoint.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** A HOME whose docker CLI config selects `context` (none: no config file). */
function home(context?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-home-'));
  homes.push(dir);
  if (context !== undefined) {
    mkdirSync(path.join(dir, '.docker'));
    writeFileSync(path.join(dir, '.docker', 'config.json'), JSON.stringify({ currentContext: context }));
  }
  return dir;
}

describe('engineSocket', () => {
  it('uses the default socket, or the unix:// path of DOCKER_HOST', () => {
    expect(engineSocket({ binary: 'docker', env: { HOME: home() } })).toBe('/var/run/docker.sock');
    expect(
      engineSocket({ binary: 'docker', env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } }),
    ).toBe('/run/user/1000/docker.sock');
    expect(engineSocket({ binary: 'docker', context: 'default', env: { DOCKER_CONTEXT: 'default' } })).toBe(
      '/var/run/docker.sock',
    );
  });

  it('leaves remote hosts, contexts and Podman to the CLI', () => {
    for (const host of [
      'tcp://10.0.0.5:2376',
      'ssh://me@box',
      'npipe:////./pipe/docker_engine',
      'unix://relative.sock',
    ])
      expect(engineSocket({ binary: 'docker', env: { DOCKER_HOST: host } }), host).toBeUndefined();
    expect(engineSocket({ binary: 'docker', context: 'remote', env: {} })).toBeUndefined();
    expect(engineSocket({ binary: 'docker', env: { DOCKER_CONTEXT: 'remote' } })).toBeUndefined();
    expect(engineSocket({ binary: 'podman', env: {} })).toBeUndefined();
  });

  it("follows the CLI config's current context, which DOCKER_HOST overrides", () => {
    expect(engineSocket({ binary: 'docker', env: { HOME: home('remote') } })).toBeUndefined();
    expect(engineSocket({ binary: 'docker', env: { HOME: home('default') } })).toBe('/var/run/docker.sock');
    const config = path.join(home('remote'), '.docker');
    expect(engineSocket({ binary: 'docker', env: { DOCKER_CONFIG: config } })).toBeUndefined();
    expect(
      engineSocket({ binary: 'docker', env: { DOCKER_CONFIG: config, DOCKER_HOST: 'unix:///d.sock' } }),
    ).toBe('/d.sock');
  });

  it('DEVENV_DOCKER_API=0 sends every call through the CLI', () => {
    expect(engineSocket({ binary: 'docker', env: { DEVENV_DOCKER_API: '0' } })).toBeUndefined();
    expect(
      engineSocket({ binary: 'docker', env: { DEVENV_DOCKER_API: '0', DOCKER_HOST: 'unix:///d.sock' } }),
    ).toBeUndefined();
  });
});
