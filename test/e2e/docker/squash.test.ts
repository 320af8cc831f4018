/**
 * `build --squash` on the private engine, which is not in experimental mode, so Docker's own
 * `--squash` is refused and devenv's layer squash does the work. The seed's example: a 5 MB file made
 * in one step and deleted in the next must cost nothing once squashed.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { startDockerd, stopChild } from '../setup/services.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run, services } from './env.js';
import { lacks } from '../needs.js';

const STEPS = [
  'steps:',
  '  - run: dd if=/dev/zero of=/big bs=1M count=5',
  '  - run: rm /big',
  '  - run: echo hi > /kept',
];
const MB = 1024 * 1024;

async function inspect(image: string): Promise<{ layers: string[]; size: number; id: string }> {
  const out = await docker([
    'image',
    'inspect',
    '--format',
    '{{json .RootFS.Layers}} {{.Size}} {{.Id}}',
    image,
  ]);
  expect(out.exitCode, out.stderr).toBe(0);
  const [layers = '[]', size = '0', id = ''] = out.stdout.split(' ');
  return { layers: JSON.parse(layers) as string[], size: Number(size), id };
}

async function history(image: string): Promise<string[]> {
  const out = await docker([
    'history',
    '--no-trunc',
    '--format',
    '{{.Size}}|{{.CreatedBy}}|{{.Comment}}',
    image,
  ]);
  expect(out.exitCode, out.stderr).toBe(0);
  return out.stdout.split('\n');
}

afterAll(async () => {
  await docker(['rm', '-f', 'squash-cli', 'squash-yml']);
});

describe.skipIf(noDocker)('build --squash on an engine without experimental mode', () => {
  it('squashes the layers the build added into one: base + 1 layers, the deleted 5 MB gone, and it runs', async () => {
    expect((await docker(['version', '--format', '{{.Server.Experimental}}'])).stdout).toBe('false');
    const env = isolatedEnv();
    const plainDir = busyboxProject('squash-plain', STEPS);
    const plainBuild = await run(plainDir, env, ['build']);
    expect(plainBuild.exitCode, plainBuild.stderr).toBe(0);
    const dir = busyboxProject('squash-cli', STEPS);
    const build = await run(dir, env, ['build', '--squash']);
    expect(build.exitCode, build.stderr).toBe(0);
    expect(build.stderr).toMatch(/squashing the \d+ layers the build added into one/);

    const base = await inspect(services.busyboxImage);
    const plain = await inspect('devenv/squash-plain:latest');
    const squashed = await inspect('devenv/squash-cli:latest');
    expect(plain.layers.length).toBeGreaterThanOrEqual(base.layers.length + 3);
    expect(squashed.layers.length).toBe(base.layers.length + 1);
    expect(squashed.layers.slice(0, base.layers.length)).toEqual(base.layers);
    // Unsquashed, the image carries the deleted file; squashed, it is about the size of its base.
    expect(plain.size - base.size).toBeGreaterThan(5 * MB);
    expect(squashed.size - base.size).toBeLessThan(64 * 1024);
    process.stdout.write(
      `squash sizes: base ${base.size}, unsquashed ${plain.size}, squashed ${squashed.size} bytes\n`,
    );

    const cat = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      'devenv/squash-cli:latest',
      'cat',
      '/kept',
    ]);
    expect(cat.stdout, cat.stderr).toBe('hi');
    const gone = await docker(['run', '--rm', '--network', 'none', 'devenv/squash-cli:latest', 'ls', '/big']);
    expect(gone.exitCode).not.toBe(0);

    // Docker's own squash leaves the same trace: the build's steps as empty layers, then the merge.
    const lines = await history('devenv/squash-cli:latest');
    expect(lines[0]).toMatch(/^\S+\|\|merge sha256:[0-9a-f]{64} to /);
    expect(lines[0]?.endsWith(` to ${base.id}`)).toBe(true);
    expect(lines.find((line) => line.includes('dd if=/dev/zero'))).toMatch(/^0B\|/);
    // The labels devenv decides rebuilds by survive, so the next up reuses the squashed image.
    const up = await run(dir, env, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('building');
    expect((await inspect('devenv/squash-cli:latest')).id).toBe(squashed.id);
  });

  it.skipIf(lacks('debian'))(
    'on Debian with apt: the squashed tree equals the unsquashed one, capabilities and base deletions included',
    async () => {
      const env = isolatedEnv();
      const project = (name: string) =>
        makeProject({
          'devenv.yml': [
            `name: ${name}`,
            `base: ${services.debianImage}`,
            'network: host',
            'packageManager: apt',
            'packages: [libcap2-bin]',
            'steps:',
            // A file capability (a binary xattr), deletions of base content, a directory emptied and
            // recreated (an opaque directory in the engine's diff), a file replaced and a hardlink.
            '  - run: cp /bin/true /usr/local/bin/captrue && setcap cap_net_raw+ep /usr/local/bin/captrue',
            '  - run: rm -rf /usr/share/doc /etc/motd',
            '  - run: rm -rf /var/log && mkdir /var/log && echo fresh > /var/log/fresh',
            '  - run: ln /usr/local/bin/captrue /usr/local/bin/caplink && echo changed > /etc/issue',
          ].join('\n'),
        });
      const plainDir = project('squash-deb-plain');
      const dir = project('squash-deb');
      const plainBuild = await run(plainDir, env, ['build'], { timeout: 600_000 });
      expect(plainBuild.exitCode, plainBuild.stderr).toBe(0);
      const build = await run(dir, env, ['build', '--squash'], { timeout: 600_000 });
      expect(build.exitCode, build.stderr).toBe(0);

      const base = await inspect(services.debianImage);
      const squashed = await inspect('devenv/squash-deb:latest');
      expect(squashed.layers.length).toBe(base.layers.length + 1);
      const tree = async (image: string) => {
        const listing = await docker([
          'run',
          '--rm',
          '--network',
          'none',
          image,
          'sh',
          '-c',
          'find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf \\) -prune -o -printf "%p %y %m %U:%G %s %n %l\\n" | sort; getcap /usr/local/bin/captrue /usr/local/bin/caplink',
        ]);
        expect(listing.exitCode, listing.stderr).toBe(0);
        return listing.stdout.split('\n');
      };
      const squashedTree = await tree('devenv/squash-deb:latest');
      expect(squashedTree).toEqual(await tree('devenv/squash-deb-plain:latest'));
      expect(squashedTree).toContain('/usr/local/bin/captrue cap_net_raw=ep');
      expect(squashedTree).toContain('/var/log/fresh f 644 0:0 6 1 ');
      expect(squashedTree.filter((line) => /^\/usr\/share\/doc[ /]/.test(line))).toEqual([]);
    },
    // Two Debian builds with apt and a squash of the result: minutes on a busy 2-core machine.
    1_200_000,
  );

  it("multi-stage, on a tarball base: keeps exactly the layers of the final stage's base", async () => {
    const env = isolatedEnv();
    const dir = makeProject({
      'devenv.yml': [
        'name: squash-stages',
        'network: none',
        'stages:',
        '  build:',
        `    base: ${services.debianImage !== '' ? services.debianImage : services.busyboxImage}`,
        '    steps:',
        '      - run: mkdir /out && echo built > /out/tool && dd if=/dev/zero of=/out/junk bs=1M count=2',
        'base: {tarball: rootfs.tar}',
        'steps:',
        '  - copy: {from: build, src: /out, dest: /opt/out}',
        '  - run: rm /opt/out/junk',
      ].join('\n'),
    });
    copyFileSync(services.busyboxTar, path.join(dir, 'rootfs.tar'));
    const build = await run(dir, env, ['build', '--squash']);
    expect(build.exitCode, build.stderr).toBe(0);
    const base = await inspect('devenv/squash-stages-base:latest');
    const image = await inspect('devenv/squash-stages:latest');
    expect(image.layers.length).toBe(base.layers.length + 1);
    expect(image.layers.slice(0, base.layers.length)).toEqual(base.layers);
    expect(image.size - base.size).toBeLessThan(64 * 1024);
    const cat = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      'devenv/squash-stages:latest',
      'cat',
      '/opt/out/tool',
    ]);
    expect(cat.stdout, cat.stderr).toBe('built');
  });

  it('on a base of several layers: keeps them and their history, squashes only what the build added', async () => {
    const env = isolatedEnv();
    const lower = busyboxProject('squash-lower', STEPS);
    expect((await run(lower, env, ['build'])).exitCode).toBe(0);
    const dir = makeProject({
      'devenv.yml': [
        'name: squash-upper',
        'base: devenv/squash-lower:latest',
        'network: none',
        'steps:',
        '  - run: echo one > /one',
        '  - run: rm /kept && echo two > /two',
      ].join('\n'),
    });
    const build = await run(dir, env, ['build', '--squash']);
    expect(build.exitCode, build.stderr).toBe(0);
    const base = await inspect('devenv/squash-lower:latest');
    const image = await inspect('devenv/squash-upper:latest');
    expect(base.layers.length).toBeGreaterThan(2);
    expect(image.layers).toEqual([...base.layers, image.layers.at(-1)]);
    const lines = await history('devenv/squash-upper:latest');
    const baseLines = await history('devenv/squash-lower:latest');
    // Newest first: the merge, then the build's own steps (now empty), then the base's untouched.
    expect(lines.slice(-baseLines.length)).toEqual(baseLines);
    expect(lines[0]).toContain(`to ${base.id}`);
    const ls = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      'devenv/squash-upper:latest',
      'sh',
      '-c',
      'cat /one /two; ls /kept',
    ]);
    expect(ls.stdout).toBe('one\ntwo');
  });

  it('build: {squash: true} in devenv.yml squashes through up -d', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('squash-yml', ['build: {squash: true}', ...STEPS]);
    const up = await run(dir, env, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const base = await inspect(services.busyboxImage);
    const image = await inspect('devenv/squash-yml:latest');
    expect(image.layers.length).toBe(base.layers.length + 1);
    expect(image.size - base.size).toBeLessThan(64 * 1024);
    expect((await run(dir, env, ['exec', '--', 'cat', '/kept'])).stdout).toBe('hi');
    expect((await history('devenv/squash-yml:latest'))[0]).toContain(`|merge sha256:`);
  });
});

describe.skipIf(noDocker)('build --squash on an experimental engine', () => {
  let engine: Awaited<ReturnType<typeof startDockerd>>;
  beforeAll(async () => {
    engine = await startDockerd(mkdtempSync(path.join(services.root, 'experimental-')), ['--experimental']);
    if (engine === undefined) throw new Error('dockerd did not start');
    await execa('docker', ['import', services.busyboxTar, 'squash-base:latest'], {
      env: { DOCKER_HOST: engine.host },
    });
  });
  afterAll(async () => {
    await stopChild(engine?.child);
  });

  it("leaves the squash to Docker's own --squash", async () => {
    const host = engine?.host ?? '';
    const on = (args: string[]) => docker(args, { DOCKER_HOST: host });
    expect((await on(['version', '--format', '{{.Server.Experimental}}'])).stdout).toBe('true');
    const dir = makeProject({
      'devenv.yml': ['name: squash-exp', 'base: squash-base:latest', 'network: none', ...STEPS].join('\n'),
    });
    const build = await run(dir, isolatedEnv({ DOCKER_HOST: host }), ['build', '--squash']);
    expect(build.exitCode, build.stderr).toBe(0);
    expect(build.stderr).not.toMatch(/squashing the \d+ layers/);
    const layers = await on([
      'image',
      'inspect',
      '--format',
      '{{len .RootFS.Layers}}',
      'devenv/squash-exp:latest',
    ]);
    expect(layers.stdout).toBe('2');
    const cat = await on(['run', '--rm', '--network', 'none', 'devenv/squash-exp:latest', 'cat', '/kept']);
    expect(cat.stdout, cat.stderr).toBe('hi');
  });
});
