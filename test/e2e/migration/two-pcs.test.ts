/**
 * "Two PCs": an environment saved by one user and loaded by another, in each of the four directions
 * between the embedded runtime and Docker. Each embedded user has their own store and state; the two
 * Docker users share the run's private dockerd, so a Docker source is removed (with its volumes and
 * image) before the other user loads it, as it would be on a machine of its own. After `load` into
 * an empty folder and `up`, the file made inside the container, the named volume's file and the env
 * value of devenv.yml are all there, and `up` ran the bundle's image without building.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { RUNTIMES, skipReason } from '../conformance/runtimes.js';
import type { RuntimeUnderTest } from '../conformance/runtimes.js';
import { ok, projectOn } from '../conformance/scenario.js';
import { services } from '../docker/env.js';
import { cleanupSandboxes } from '../embedded/env.js';
import { lacks } from '../needs.js';

const docker = RUNTIMES.find((r) => r.name === 'docker') as RuntimeUnderTest;
const embedded = RUNTIMES.find((r) => r.name === 'embedded') as RuntimeUnderTest;
const unavailable = skipReason(docker, ['containers']) ?? skipReason(embedded, ['containers']);

afterAll(() => {
  cleanupSandboxes();
});

/** docker against the private engine; never throws. */
function plainDocker(args: readonly string[]) {
  return execa('docker', args, { env: { DOCKER_HOST: services.dockerHost }, reject: false });
}

const byName = { docker, embedded };
type Direction = [keyof typeof byName, keyof typeof byName];
const directions: Direction[] = [
  ['embedded', 'embedded'],
  ['embedded', 'docker'],
  ['docker', 'embedded'],
  ['docker', 'docker'],
];

describe.skipIf(unavailable !== undefined || lacks('docker', 'registry'))('two PCs', () => {
  it.each(directions)(
    '%s → %s: the file made inside, the volume and the env value arrive; up does not build',
    async (fromName, toName) => {
      const [from, to] = [byName[fromName], byName[toName]];
      const name = `mig-${from.name.slice(0, 3)}-${to.name.slice(0, 3)}`;
      const pc1 = from.user();
      const dir = projectOn(from, name, [
        'mounts: [{volume: work, target: /work}]',
        'env: {GREETING: hello}',
      ]);
      await ok(pc1, dir, ['up', '-d']);
      await ok(pc1, dir, [
        'exec',
        '--',
        'sh',
        '-c',
        'echo state > /root/made-inside; echo volume > /work/data',
      ]);
      const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-move-')), `${name}.tar`);
      const saved = JSON.parse(await ok(pc1, dir, ['save', '-o', bundle, '--json'])) as {
        image: { id: string };
        source: { runtime: string };
      };
      expect(saved.source.runtime).toBe(from.name);
      // On one engine, the source leaves before the other user loads it: no name or volume is shared.
      if (from.name === 'docker' && to.name === 'docker') await ok(pc1, dir, ['rm', '-f', '--volumes']);

      const pc2 = to.user();
      const dir2 = makeProject({});
      await ok(pc2, dir2, ['load', bundle]);
      expect(readFileSync(path.join(dir2, 'devenv.yml'), 'utf8')).toBe(
        readFileSync(path.join(dir, 'devenv.yml'), 'utf8'),
      );
      const up = await pc2.run(dir2, ['up', '-d', '--json']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ built: false, image: saved.image.id });
      expect(up.stderr).not.toContain('building');
      const inside = await ok(pc2, dir2, [
        'exec',
        '--',
        'sh',
        '-c',
        'cat /root/made-inside /work/data; echo $GREETING',
      ]);
      expect(inside.split('\n')).toEqual(['state', 'volume', 'hello']);
      await ok(pc2, dir2, ['rm', '-f', '--volumes']);

      if (from.name === 'embedded' && to.name === 'embedded') {
        // The embedded runtime's bundle is a docker save archive too: plain docker loads and runs it.
        const loaded = await plainDocker(['load', '-i', bundle]);
        expect(loaded.exitCode, loaded.stderr).toBe(0);
        expect(loaded.stdout).toContain(`Loaded image: devenv/${name}:latest`);
        const ran = await plainDocker([
          'run',
          '--rm',
          '--network',
          'none',
          `devenv/${name}:latest`,
          'cat',
          '/root/made-inside',
        ]);
        expect(ran.stdout, ran.stderr).toBe('state');
        await plainDocker(['rmi', '-f', `devenv/${name}:latest`]);
      }
    },
    600_000,
  );

  it('a project built from files the other PC lacks (a rootfs tarball, a COPY source) loads and comes up without them', async () => {
    const pc1 = embedded.user();
    const dir = makeProject({
      'devenv.yml': [
        'name: mig-tarball',
        'base: {tarball: rootfs.tar}',
        'network: none',
        'steps: [{copy: {src: notes.txt, dest: /opt/notes.txt}}]',
        '',
      ].join('\n'),
      'notes.txt': 'copied\n',
    });
    copyFileSync(services.busyboxTar, path.join(dir, 'rootfs.tar'));
    await ok(pc1, dir, ['up', '-d']);
    await ok(pc1, dir, ['exec', '--', 'sh', '-c', 'echo state > /root/made-inside']);
    const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-move-')), 'mig-tarball.tar');
    const saved = JSON.parse(await ok(pc1, dir, ['save', '-o', bundle, '--json'])) as {
      image: { id: string };
    };

    const pc2 = embedded.user();
    const dir2 = makeProject({});
    const loaded = await pc2.run(dir2, ['load', bundle]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(existsSync(path.join(dir2, 'rootfs.tar'))).toBe(false);
    const up = await pc2.run(dir2, ['up', '-d', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ built: false, image: saved.image.id });
    // One warning per missing input, each once: a rebuild would need them.
    const lines = up.stderr.split('\n');
    expect(lines.filter((line) => line.includes('rootfs.tar'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('notes.txt'))).toHaveLength(1);
    expect(up.stderr).toMatch(/the tarball "rootfs\.tar" does not exist.*a build needs it/);
    expect(await ok(pc2, dir2, ['exec', '--', 'cat', '/root/made-inside', '/opt/notes.txt'])).toBe(
      'state\ncopied',
    );

    // A forced rebuild cannot happen without the inputs, and says which one is missing.
    const rebuilt = await pc2.run(dir2, ['build', '--no-cache']);
    expect(rebuilt.exitCode).not.toBe(0);
    expect(rebuilt.stderr).toContain('rootfs.tar');
    expect(rebuilt.stderr).not.toContain('bug');
  }, 600_000);
});
