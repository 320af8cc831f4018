/**
 * Bases that are not registry images, and multi-stage builds, on a real engine: a user Dockerfile
 * (with a build argument), a plain root filesystem tarball, a docker save archive, a Debian root
 * bootstrapped from this host's apt mirror (and reused, offline, by the next build), and a stage
 * whose output is copied into the final image.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { lacks } from '../needs.js';
import { docker, noDocker, isolatedEnv, run, services } from './env.js';

afterAll(async () => {
  await docker(['rm', '-f', 'base-df', 'base-rootfs', 'base-save', 'base-stages', 'base-bootstrap']);
});

describe.skipIf(noDocker)('non-registry bases and stages', () => {
  it('base: {dockerfile} is built first, with its build arguments; devenv.yml adds on top', async () => {
    const dir = makeProject({
      'devenv.yml': [
        'name: base-df',
        'base: {dockerfile: docker/Dockerfile, context: docker, args: {SDK_VERSION: "2.1"}}',
        'steps: [{run: "cat /opt/sdk/VERSION > /opt/seen"}]',
        'network: none',
      ].join('\n'),
      'docker/Dockerfile': `FROM ${services.busyboxImage}\nARG SDK_VERSION=1.0\nCOPY sdk.txt /opt/sdk/README\nRUN echo "$SDK_VERSION" > /opt/sdk/VERSION\n`,
      'docker/sdk.txt': 'the sdk\n',
    });
    const env = isolatedEnv();
    const up = await run(dir, env, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain('building the base image from docker/Dockerfile');
    expect((await run(dir, env, ['exec', '--', 'cat', '/opt/seen', '/opt/sdk/README'])).stdout).toBe(
      '2.1\nthe sdk',
    );
  });

  it('base: {tarball} takes a plain root filesystem tar', async () => {
    const dir = makeProject({
      'devenv.yml': 'name: base-rootfs\nbase: {tarball: rootfs.tar}\nnetwork: none\n',
    });
    copyFileSync(services.busyboxTar, path.join(dir, 'rootfs.tar'));
    const env = isolatedEnv();
    const up = await run(dir, env, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await run(dir, env, ['exec', '--', 'busybox', 'echo', 'from a rootfs tarball'])).stdout).toBe(
      'from a rootfs tarball',
    );
  });

  it('base: {tarball} takes a docker save archive', async () => {
    const dir = makeProject({
      'devenv.yml':
        'name: base-save\nbase: {tarball: image.tar}\nnetwork: none\nsteps: [{run: "echo layered > /on-top"}]\n',
    });
    expect((await docker(['save', '-o', path.join(dir, 'image.tar'), services.busyboxImage])).exitCode).toBe(
      0,
    );
    const env = isolatedEnv();
    const up = await run(dir, env, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await run(dir, env, ['exec', '--', 'cat', '/on-top'])).stdout).toBe('layered');
    // Unchanged inputs (the tarball included) mean no rebuild.
    const again = await run(dir, env, ['up', '-d']);
    expect(again.stderr).not.toContain('building');
  });

  it('stages: the final image gets only what copy.from takes out of a build stage', async () => {
    const dir = makeProject({
      'devenv.yml': [
        'name: base-stages',
        'network: none',
        'stages:',
        `  build: {base: ${services.busyboxImage}, steps: [{run: "mkdir -p /out && echo artifact > /out/tool && echo junk > /out/junk"}]}`,
        `base: ${services.busyboxImage}`,
        'steps: [{copy: {from: build, src: /out/tool, dest: /usr/local/bin/tool}}]',
      ].join('\n'),
    });
    writeFileSync(path.join(dir, 'unused'), '');
    const env = isolatedEnv();
    const up = await run(dir, env, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const inside = await run(dir, env, [
      'exec',
      '--',
      'sh',
      '-c',
      'cat /usr/local/bin/tool; ls /out 2>&1 || true',
    ]);
    expect(inside.stdout.split('\n')[0]).toBe('artifact');
    expect(inside.stdout).toContain('No such file');
  });

  it.skipIf(lacks('debian'))(
    'base: {bootstrap} is made once from the apt mirror; the next build reuses it without the network',
    async () => {
      const dir = makeProject({
        'devenv.yml': 'name: base-bootstrap\nbase: {bootstrap: debian:bookworm}\nnetwork: none\n',
      });
      const env = isolatedEnv();
      const first = await run(dir, env, ['build'], { timeout: 1_200_000 });
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/bootstrapping debian:bookworm from \S+ with (mmdebstrap|debootstrap)/);
      const label = await docker([
        'image',
        'inspect',
        '--format',
        '{{index .Config.Labels "dev.devenv.bootstrap"}}',
        'devenv/base-bootstrap-base:latest',
      ]);
      expect(label.stdout).toMatch(/^debian:bookworm minbase https?:\/\/\S+$/);
      // Every download through a proxy nobody listens on: a second bootstrap could not succeed.
      const offline = isolatedEnv({ http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' });
      const again = await run(dir, offline, ['build'], { timeout: 1_200_000 });
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stderr).toContain('using the debian:bookworm base made before');
      expect(again.stderr).not.toContain('bootstrapping');
      const up = await run(dir, offline, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect((await run(dir, offline, ['exec', '--', 'cat', '/etc/debian_version'])).stdout).toMatch(/^12\./);
    },
    1_500_000,
  );
});
