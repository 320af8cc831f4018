/** The three ways Docker can be unreachable each get their own clear message (docs/reliability.md, B1, B2, P4). */
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
import { services } from './env.js';
import { lacks } from '../needs.js';

async function devenvAs(args: string[], env: Record<string, string>, prefix: string[] = []) {
  const [bin = process.execPath, ...rest] = prefix.length > 0 ? prefix : [process.execPath];
  const argv = prefix.length > 0 ? [...rest, process.execPath, CLI, ...args] : [CLI, ...args];
  const result = await execa(bin, argv, {
    env: { NO_COLOR: '1', ...env },
    extendEnv: false,
    reject: false,
    cwd: makeProject({ 'devenv.yml': 'name: f\nbase: alpine\n' }),
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

describe('Docker failure modes', () => {
  it('the docker CLI is missing', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'nodocker-'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const result = await devenvAs(['--runtime', 'docker', 'ls'], { PATH: bin, HOME: bin });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error: the docker CLI was not found on PATH');
    expect(result.stderr).toContain(
      'install Docker (Debian: apt-get install docker.io), or use --runtime embedded',
    );
  });

  it('the daemon is down: names the socket and says how to start it', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'down-'));
    const result = await devenvAs(['--runtime', 'docker', 'ls'], {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      DOCKER_HOST: 'unix:///tmp/devenv-none.sock',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'error: the Docker daemon is not running at unix:///tmp/devenv-none.sock',
    );
    expect(result.stderr).toContain('start it (sudo systemctl start docker, or run dockerd)');
  });

  it.skipIf(lacks('docker', 'root'))('permission denied on the socket: says how to fix it', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'perm-'));
    mkdirSync(path.join(home, 'h'), { mode: 0o777 });
    const result = await devenvAs(
      ['--runtime', 'docker', 'ls'],
      { PATH: process.env['PATH'] ?? '', HOME: path.join(home, 'h'), DOCKER_HOST: services.dockerHost },
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'],
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/error: permission denied on the Docker socket unix:\/\/\S+docker\.sock/);
    expect(result.stderr).toContain('sudo usermod -aG docker');
  });

  it('auto with neither docker nor podman, and no root for the embedded runtime, explains how to get one', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'noruntime-'));
    chmodSync(bin, 0o755);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    // setpriv by its path: the PATH given here holds only node.
    const result = await devenvAs(['ls'], { PATH: bin, HOME: bin }, [
      '/usr/bin/setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--',
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('no container runtime is available');
    expect(result.stderr).toContain('needs root');
  });
});
