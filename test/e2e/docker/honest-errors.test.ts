/**
 * Honest answers on the shipped path, against the real engine and registry: a base the registry does
 * not have, ports that are not published, a project never brought up, the shell of a mirrored base,
 * and folders or files devenv cannot create or read.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run, services } from './env.js';
import { lacks } from '../needs.js';

const names = ['honest-ports', 'honest-host-ports', 'honest-shell'];
const mounts: string[] = [];
afterAll(async () => {
  await docker(['rm', '-f', ...names]);
  for (const dir of mounts) execFileSync('umount', [dir]);
});

/** A folder on a fresh read-only tmpfs: as root, only a read-only mount refuses a write. */
function readOnlyDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-ro-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** A regular file, so that any path below it cannot exist (ENOTDIR). */
function aFile(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-file-')), 'plain-file');
  writeFileSync(file, 'not a folder\n');
  return file;
}

describe.skipIf(noDocker)('honest errors on Docker', () => {
  it.skipIf(lacks('debian'))(
    'a base the registry lacks: one error at its devenv.yml position, the registry name as hint, no docker noise',
    async () => {
      const registry = services.registry;
      const dir = makeProject({
        'devenv.yml': `name: honest-base\nbase: ${registry}/devenv-test/debain:bookworm\nnetwork: none\n`,
      });
      const result = await run(dir, isolatedEnv(), ['build'], { timeout: 240_000 });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        `error: devenv.yml:2:7: base image ${registry}/devenv-test/debain:bookworm not found in ${registry}\n` +
          `  hint: did you mean ${registry}/devenv-test/debian:bookworm?`,
      );
      expect(result.stderr).not.toMatch(/DEPRECATED|legacy builder|manifest unknown|docker build|bug/);
    },
  );

  it('status shows only published ports, and says why the others are not', async () => {
    const env = isolatedEnv();
    const dir = makeProject({
      'devenv.yml': [
        'name: honest-ports',
        `base: ${services.busyboxImage}`,
        'network: private',
        'ports: ["18080:80"]',
      ].join('\n'),
    });
    expect((await run(dir, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    const status = await run(dir, env, ['status']);
    expect(status.exitCode).toBe(0);
    // This engine has no bridge (dockerd --bridge=none): Docker records the binding and publishes nothing.
    expect(status.stdout).not.toContain('18080->80');
    expect(status.stdout).toContain(
      'port:    18080:80 not published (network: private — the engine has no bridge network to publish through, so the container has no network)',
    );
    const json = JSON.parse((await run(dir, env, ['--json', 'status'])).stdout) as {
      ports: string[];
      unpublished: { port: string }[];
    };
    expect(json.ports).toEqual([]);
    expect(json.unpublished.map((p) => p.port)).toEqual(['18080:80']);

    const hostDir = makeProject({
      'devenv.yml': `name: honest-host-ports\nbase: ${services.busyboxImage}\nnetwork: host\nports: ["8080:80"]\n`,
    });
    expect((await run(hostDir, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    expect((await run(hostDir, env, ['status'])).stdout).toContain(
      "port:    8080:80 not published (network: host — the service listens on the host's port directly)",
    );
  });

  it('status of a project never brought up is "not created", exit 0', async () => {
    const dir = busyboxProject('honest-never', []);
    const env = isolatedEnv();
    const status = await run(dir, env, ['status']);
    expect(status).toMatchObject({ exitCode: 0 });
    expect(status.stdout).toContain('state:   not created (devenv up creates it)');
    expect(JSON.parse((await run(dir, env, ['--json', 'status'])).stdout)).toEqual({
      name: 'honest-never',
      state: 'not created',
      image: 'devenv/honest-never:latest',
      built: false,
      drift: 'not-built',
    });
    expect(status.stdout).toContain('drift:   image not built (devenv up builds it)');
  });

  it.skipIf(lacks('debian'))(
    'a mirrored Debian base is known as Debian: bash as main process, devenv shell, login shell, label',
    async () => {
      const mirror = `${services.registry}/mirror/debian:bookworm`;
      expect((await docker(['tag', services.debianImage, mirror])).exitCode).toBe(0);
      expect((await docker(['push', mirror])).exitCode).toBe(0);
      await docker(['rmi', mirror]);
      const env = isolatedEnv();
      const dir = makeProject({
        'devenv.yml': [
          'name: honest-shell',
          `base: ${mirror}`,
          'network: none',
          'user: {name: dev, uid: 1000}',
          'hooks: {create: ["echo hook=$BASH_VERSION > /tmp/hook"]}',
        ].join('\n'),
      });
      expect((await run(dir, env, ['up', '-d'], { timeout: 300_000 })).exitCode).toBe(0);
      // The child of docker-init (PID 1) is the main command.
      const main = await run(dir, env, [
        'exec',
        '--',
        'sh',
        '-c',
        'for p in /proc/[0-9]*; do [ "$(cut -d" " -f4 $p/stat)" = 1 ] && readlink $p/exe; done; getent passwd dev; cat /tmp/hook',
      ]);
      // The base's last path component says Debian, so the login shell is Debian's /bin/bash.
      expect(main.stdout).toMatch(/^\/usr\/bin\/bash\ndev:x:1000:1000::\/home\/dev:\/bin\/bash\nhook=5\./);
      const shell = await run(dir, env, ['shell'], { input: 'echo "in=$BASH_VERSION"\n' });
      expect(shell.stdout).toMatch(/in=5\./);
      const label = await docker([
        'inspect',
        '--format',
        '{{index .Config.Labels "dev.devenv.shell"}}',
        'honest-shell',
      ]);
      expect(label.stdout).toBe('/bin/bash');
    },
  );

  it('a store folder below a file, or on a read-only mount: named, with the fix', async () => {
    const file = aFile();
    const below = await run(os.tmpdir(), isolatedEnv(), [
      '--runtime',
      'embedded',
      '--root',
      `${file}/store`,
      'images',
    ]);
    expect(below.exitCode).toBe(1);
    expect(below.stderr).toBe(
      `error: cannot create or write the store folder ${file}/store: ${file} is a file, not a folder\n` +
        '  hint: choose a folder you can write with --root DIR, DEVENV_ROOT or the storage setting',
    );
    if (lacks('root')) return;
    const ro = readOnlyDir();
    const readOnly = await run(os.tmpdir(), isolatedEnv({ DEVENV_ROOT: `${ro}/store` }), [
      '--runtime',
      'embedded',
      'images',
    ]);
    expect(readOnly.exitCode).toBe(1);
    expect(readOnly.stderr).toContain(
      `error: cannot create or write the store folder ${ro}/store: ${ro} is on a read-only file system`,
    );
  });

  it('a state folder that cannot be created: named, with the fix', async () => {
    const file = aFile();
    const dir = busyboxProject('honest-state', []);
    const result = await run(dir, isolatedEnv({ XDG_STATE_HOME: file }), ['up', '-d']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `error: cannot create or write the devenv state folder ${file}/devenv/envs/honest-state: ${file} is a file, not a folder\n` +
        '  hint: set XDG_STATE_HOME to a folder you can write (devenv keeps its state in $XDG_STATE_HOME/devenv)',
    );
    if (lacks('root')) return;
    const ro = readOnlyDir();
    const readOnly = await run(dir, isolatedEnv({ XDG_STATE_HOME: ro }), ['up', '-d']);
    expect(readOnly.stderr).toContain(`${ro} is on a read-only file system`);
  });

  it('a COPY source that is a named pipe, or that the caller cannot read: named, with the fix', async () => {
    const dir = busyboxProject('honest-copy', ['steps: [{copy: {src: ./tools, dest: /opt/tools}}]'], {
      'tools/ok.txt': 'fine\n',
    });
    execFileSync('mkfifo', [path.join(dir, 'tools', 'pipe')]);
    const pipe = await run(dir, isolatedEnv(), ['build']);
    // A config error (DEVENV_CONFIG_INVALID): the fix is in devenv.yml's copy step or the project.
    expect(pipe.exitCode).toBe(2);
    expect(pipe.stderr).toContain(
      `error: ${dir}/tools/pipe is a named pipe; a copy step can send only files, folders and symbolic links`,
    );
    if (lacks('root')) return;
    execFileSync('rm', [path.join(dir, 'tools', 'pipe')]);
    const secret = path.join(dir, 'tools', 'secret.txt');
    writeFileSync(secret, 'root only\n');
    chmodSync(secret, 0o600);
    // Root reads anything, so the unreadable case runs as nobody (the build stops before Docker).
    const home = mkdtempSync(path.join(os.tmpdir(), 'devenv-nobody-'));
    chmodSync(home, 0o777);
    mkdirSync(path.join(home, 'h'));
    chmodSync(path.join(home, 'h'), 0o777); // mkdir's mode passes through the umask
    const asNobody = await execa(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, CLI, 'build'],
      {
        cwd: dir,
        env: {
          NO_COLOR: '1',
          HOME: path.join(home, 'h'),
          PATH: process.env['PATH'] ?? '',
          DOCKER_HOST: services.dockerHost,
        },
        extendEnv: false,
        reject: false,
      },
    );
    expect(asNobody.exitCode).toBe(1);
    expect(asNobody.stderr).toBe(
      `error: cannot read ${secret}, which a copy step sends to the build: permission denied on ${secret}\n` +
        '  hint: make it readable for you (chmod, chown), or narrow the src of the copy step in devenv.yml so it leaves it out',
    );
  });
});
