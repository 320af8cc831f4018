/**
 * `packages:` on a base whose name says nothing about its package manager, pulled from the loopback
 * registry: the install step finds apt-get in the base at build time, and a base without any package
 * manager fails the build with a message that names the packages and the setting.
 *
 * The Debian base gets a one-package apt repository on its own filesystem (and no other source), so
 * apt installs without any network but loopback.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, removeProject } from '../../helpers/project.js';
import { docker, dockerAvailable, isolatedEnv, run, services } from './env.js';

const PACKAGE = 'devenv-probe';
const dirs: string[] = [];
const devbase = `${services.registry}/team/devbase:1`;

/** A folder holding a tiny .deb and the flat `Packages` index apt reads from it. */
async function aptRepository(dir: string): Promise<void> {
  const pkg = path.join(dir, 'pkg');
  mkdirSync(path.join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(pkg, 'usr/share', PACKAGE), { recursive: true });
  writeFileSync(
    path.join(pkg, 'DEBIAN/control'),
    `Package: ${PACKAGE}\nVersion: 1.0\nArchitecture: all\nMaintainer: devenv tests <tests@devenv.invalid>\nDescription: a marker file\n`,
  );
  writeFileSync(path.join(pkg, 'usr/share', PACKAGE, 'marker'), 'installed by apt\n');
  const deb = path.join(dir, 'repo', `${PACKAGE}_1.0_all.deb`);
  mkdirSync(path.dirname(deb));
  await execa('dpkg-deb', ['--root-owner-group', '--build', pkg, deb]);
  const bytes = readFileSync(deb);
  const control = readFileSync(path.join(pkg, 'DEBIAN/control'), 'utf8');
  writeFileSync(
    path.join(dir, 'repo', 'Packages'),
    `${control}Filename: ./${path.basename(deb)}\nSize: ${bytes.length}\nSHA256: ${createHash('sha256').update(bytes).digest('hex')}\n`,
  );
}

beforeAll(async () => {
  if (!dockerAvailable || services.debianImage === '' || services.registry === '') return;
  // The Debian test image, renamed to a name that says nothing, with only the local repository as a
  // source, pushed to the registry and removed locally so the build pulls it.
  const dir = makeProject({
    Dockerfile: [
      `FROM ${services.debianImage}`,
      'RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*',
      'COPY repo /opt/repo',
      'RUN echo "deb [trusted=yes] file:/opt/repo ./" > /etc/apt/sources.list',
    ].join('\n'),
  });
  dirs.push(dir);
  await aptRepository(dir);
  const built = await docker(['build', '--network', 'none', '-t', devbase, dir]);
  expect(built.exitCode, built.stderr).toBe(0);
  expect((await docker(['push', devbase])).exitCode).toBe(0);
  expect((await docker(['rmi', devbase])).exitCode).toBe(0);
}, 300_000);

afterAll(async () => {
  await docker(['rm', '-f', 'pm-probe', 'pm-none']);
  for (const dir of dirs) removeProject(dir);
});

describe.skipIf(!dockerAvailable || services.debianImage === '' || services.registry === '')(
  'a package manager the base name does not tell',
  () => {
    it('is found in the base at build time, and installs the packages', async () => {
      const dir = makeProject({
        'devenv.yml': ['name: pm-probe', `base: ${devbase}`, `packages: [${PACKAGE}]`, 'network: none'].join(
          '\n',
        ),
      });
      dirs.push(dir);
      const env = isolatedEnv();
      expect((await run(dir, env, ['validate'])).exitCode).toBe(0);
      const up = await run(dir, env, ['up', '-d'], { timeout: 300_000 });
      expect(up.exitCode, up.stderr).toBe(0);
      const marker = await run(dir, env, ['exec', '--', 'cat', `/usr/share/${PACKAGE}/marker`]);
      expect(marker.stdout).toBe('installed by apt');
      // The install step cleaned up after itself in its own layer.
      expect((await run(dir, env, ['exec', '--', 'ls', '/var/lib/apt/lists'])).stdout).toBe('');
    });

    it('a base with no package manager fails the build, naming the packages and packageManager', async () => {
      const dir = makeProject({
        'devenv.yml': [
          'name: pm-none',
          `base: ${services.busyboxImage}`,
          'packages: [git, make]',
          'network: none',
        ].join('\n'),
      });
      dirs.push(dir);
      const env = isolatedEnv();
      const up = await run(dir, env, ['up', '-d'], { timeout: 300_000 });
      expect(up.exitCode).toBe(1);
      expect(up.stderr).toContain(
        'devenv: cannot install git make: found none of apt-get, apk, dnf, yum, microdnf, pacman, zypper in the base image; set packageManager: in devenv.yml',
      );
      expect(up.stderr).not.toContain('hit a bug');
      expect((await docker(['inspect', 'pm-none'])).exitCode).not.toBe(0);
    });
  },
);
