/**
 * Parity of builds: the same project built on every runtime gives the same image. Docker's classic
 * builder is the reference: each scenario first checks what it builds there (so the scenario itself
 * can fail), then, on the other runtimes, that the file tree (paths, types, modes with setuid, owners,
 * sizes, link targets, content hashes, hardlinks, `security.capability`) and the config a user meets
 * (Env, User, WorkingDir, Cmd, Entrypoint, ExposedPorts, Volumes, Labels, Shell, StopSignal, layer
 * count, history) equal Docker's. The projects are shared by the runtimes, so both builds read the
 * same files; the Docker scenarios run first (runtimes.ts lists Docker first).
 */
import { chmodSync, linkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { savedImageFacts, treeDifferences } from '../../helpers/image-tree.js';
import type { FileTree, ImageFacts } from '../../helpers/image-tree.js';
import { makeProject } from '../../helpers/project.js';
import { docker, services } from '../docker/env.js';
import { lacks } from '../needs.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUnderTest, RuntimeUser } from './runtimes.js';

/** Docker's facts per project, the reference the other runtimes are held to. */
const reference = new Map<string, ImageFacts>();

/**
 * Paths whose bytes differ between two Docker builds of the same Debian project (logs and caches that
 * record the time of the build): compared on type, mode and owner only.
 */
const VOLATILE = [
  'var/cache/apt/pkgcache.bin',
  'var/cache/apt/srcpkgcache.bin',
  'var/log/apt/history.log',
  'var/log/apt/term.log',
  'var/log/dpkg.log',
];

function maskVolatile(tree: FileTree): FileTree {
  return new Map(
    [...tree].map(([name, line]) => {
      if (!VOLATILE.includes(name)) return [name, line];
      const [type, mode, owner] = line.split(' ');
      return [name, `${type} ${mode} ${owner} (contents vary between builds)`];
    }),
  );
}

/** Builds `dir` as `user` (with `extra` flags) and reads the built image back through `devenv save`. */
async function buildFacts(
  user: RuntimeUser,
  dir: string,
  name: string,
  extra: readonly string[] = [],
): Promise<ImageFacts> {
  const built = await user.run(dir, ['build', ...extra]);
  expect(built.exitCode, built.stderr).toBe(0);
  return savedImageFacts(user, `devenv/${name}:latest`);
}

/** On Docker, records the reference; elsewhere, checks `facts` equal it, listing the first differences. */
function holdToReference(runtime: RuntimeUnderTest, key: string, facts: ImageFacts): void {
  if (runtime.name === 'docker') {
    reference.set(key, facts);
    return;
  }
  const docker = reference.get(key);
  if (docker === undefined)
    throw new Error(`the Docker build of "${key}" did not finish, so there is nothing to compare`);
  const differing = treeDifferences(maskVolatile(docker.tree), maskVolatile(facts.tree));
  expect(differing, `file trees differ (docker <> ${runtime.name}):\n${differing.join('\n')}`).toEqual([]);
  expect(facts.config).toEqual(docker.config);
}

/** The fields of a tree line: type, mode (octal), owner, size, sha256, link, xattrs. */
function entry(facts: ImageFacts, name: string): string[] {
  const line = facts.tree.get(name);
  if (line === undefined) throw new Error(`${name} is not in the image`);
  return line.split(' ');
}

let busyboxFolder: string | undefined;

/** The folder of the busybox project, made once so that every runtime builds the same files. */
function busyboxDir(): string {
  if (busyboxFolder !== undefined) return busyboxFolder;
  const dir = makeProject({
    'files/hello.txt': 'hello from the project\n',
    'files/tree/a.txt': 'a\n',
    'files/tree/nested/b.txt': 'b\n',
    'files/tree/pair-one': 'two names, one file\n',
    'files/tool.sh': '#!/bin/sh\necho tool\n',
    'files/suid-tool': '#!/bin/sh\necho privileged\n',
  });
  symlinkSync('a.txt', path.join(dir, 'files/tree/link-to-a'));
  linkSync(path.join(dir, 'files/tree/pair-one'), path.join(dir, 'files/tree/pair-two'));
  chmodSync(path.join(dir, 'files/tool.sh'), 0o755);
  chmodSync(path.join(dir, 'files/suid-tool'), 0o4755);
  busyboxFolder = dir;
  return dir;
}

/**
 * Writes the devenv.yml of the busybox project of the parity and squash scenarios; the files its
 * steps copy stay the same.
 */
function writeBusybox(dir: string, name: string, base: string): void {
  writeYaml(dir, [
    `name: ${name}`,
    `base: ${base}`,
    'network: none',
    'user: {name: dev, uid: 1000}',
    'workdir: /work',
    'build: {args: {FLAVOUR: plain}}',
    'steps:',
    '  - copy: {src: ./files/hello.txt, dest: /opt/hello.txt}',
    '  - copy: {src: ./files/tree, dest: /opt/tree}',
    '  - copy: {src: ./files/tool.sh, dest: /usr/local/bin/tool.sh}',
    '  - copy: {src: ./files/suid-tool, dest: /usr/local/bin/suid-tool}',
    '  - copy: {src: ./files/hello.txt, dest: /home/dev/owned.txt, chown: "dev"}',
    '  - run: dd if=/dev/zero of=/var/tmp/scratch bs=1024 count=16384 && echo "$FLAVOUR" > /etc/flavour',
    '  - run: rm /var/tmp/scratch',
    '  - run: cp /bin/busybox /usr/local/bin/suid-run && chmod 4755 /usr/local/bin/suid-run && ln /usr/local/bin/suid-run /usr/local/bin/suid-alias',
    "command: ['echo hi']",
    'entrypoint: [/bin/sh, -c]',
  ]);
}

function writeYaml(dir: string, lines: readonly string[]): void {
  writeFileSync(path.join(dir, 'devenv.yml'), [...lines, ''].join('\n'));
}

forEachRuntime('build parity', ['build'], (runtime) => {
  // The same name on every runtime: it is a label of the image. The embedded runtime keeps its
  // images in its own store, so the names do not meet in the Docker engine.
  const name = (what: string) => `parity-${what}`;
  let unsquashed: FileTree | undefined;

  it('a busybox project: copies (file, folder with a symlink, executable, setuid, hardlinks), user, workdir, a file made then deleted, command and entrypoint', async () => {
    const user = runtime.user();
    const dir = busyboxDir();
    writeBusybox(dir, name('busybox'), runtime.base);
    const facts = await buildFacts(user, dir, name('busybox'));

    expect(entry(facts, 'opt/hello.txt').slice(0, 4)).toEqual(['file', '644', '0:0', '23']);
    expect(
      entry(facts, 'opt/tree/link-to-a')
        .slice(0, 1)
        .concat(entry(facts, 'opt/tree/link-to-a')[5] ?? ''),
    ).toEqual(['symlink', 'a.txt']);
    expect(entry(facts, 'usr/local/bin/tool.sh')[1]).toBe('755');
    // The classic builder's COPY drops setuid from a context file (4755 in the project, 755 here), and
    // the two names of one context file arrive as two files; a RUN step keeps both.
    expect(entry(facts, 'usr/local/bin/suid-tool')[1]).toBe('755');
    expect(facts.tree.get('opt/tree/pair-one')).not.toContain('hardlinked');
    expect(entry(facts, 'usr/local/bin/suid-run')[1]).toBe('4755');
    expect(facts.tree.get('usr/local/bin/suid-run')).toContain('hardlinked with usr/local/bin/suid-alias');
    expect(entry(facts, 'home/dev/owned.txt')[2]).toBe('1000:1000');
    expect(entry(facts, 'etc/flavour')[3]).toBe('6');
    expect(facts.tree.has('var/tmp/scratch')).toBe(false);
    expect(facts.config).toMatchObject({
      User: '1000:1000',
      WorkingDir: '/work',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo hi'],
    });
    expect(facts.config.history.some((h) => h.createdBy.includes('FLAVOUR=plain'))).toBe(true);
    unsquashed = facts.tree;
    holdToReference(runtime, 'busybox', facts);
  });

  it('--squash: one layer over the base, and the file made then deleted takes no space', async () => {
    const user = runtime.user();
    const dir = busyboxDir();
    writeBusybox(dir, name('squash'), runtime.base);
    const facts = await buildFacts(user, dir, name('squash'), ['--squash']);
    const base = JSON.parse((await docker(['image', 'inspect', runtime.base])).stdout) as {
      RootFS: { Layers: string[] };
    }[];
    const baseLayers = base[0]?.RootFS.Layers.length ?? 0;
    expect(baseLayers).toBeGreaterThan(0);
    expect(facts.config.layers).toBe(baseLayers + 1);
    expect(facts.layers).toHaveLength(baseLayers + 1);
    const squashed = facts.layers.at(-1);
    expect(squashed?.paths).not.toContain('var/tmp/scratch');
    // The scratch file was 16 MiB; what the steps keep (a copy of busybox among them) is far less.
    expect(squashed?.bytes).toBeLessThan(8 * 1024 * 1024);
    expect(facts.tree.has('var/tmp/scratch')).toBe(false);
    const differing = treeDifferences(unsquashed ?? new Map<string, string>(), facts.tree);
    expect(differing, `squashed and layered trees differ:\n${differing.join('\n')}`).toEqual([]);
    holdToReference(runtime, 'squash', facts);
  });

  it('multi-stage: COPY --from keeps the owner it had in the stage, unless chown says otherwise', async () => {
    const user = runtime.user();
    const dir = makeProject({
      'devenv.yml': [
        `name: ${name('stages')}`,
        `base: ${runtime.base}`,
        'network: none',
        'stages:',
        '  build:',
        `    base: ${runtime.base}`,
        '    env: {STAGE: build}',
        '    workdir: /out',
        '    steps:',
        '      - run: echo "$STAGE" > kept && chown 1234:2345 kept && chmod 0640 kept && cp kept chowned',
        '      - run: mkdir -p tree/sub && echo deep > tree/sub/deep && chown -R 77:88 tree',
        'steps:',
        '  - copy: {from: build, src: /out/kept, dest: /opt/kept}',
        '  - copy: {from: build, src: /out/chowned, dest: /opt/chowned, chown: "42:43"}',
        '  - copy: {from: build, src: /out/tree, dest: /opt/tree}',
        '',
      ].join('\n'),
    });
    const facts = await buildFacts(user, dir, name('stages'));
    expect(entry(facts, 'opt/kept').slice(0, 3)).toEqual(['file', '640', '1234:2345']);
    expect(entry(facts, 'opt/chowned')[2]).toBe('42:43');
    expect(entry(facts, 'opt/tree/sub/deep')[2]).toBe('77:88');
    holdToReference(runtime, 'stages', facts);
  });

  it('a dockerfile base: ARG, ENV, SHELL, LABEL, EXPOSE, VOLUME, STOPSIGNAL, WORKDIR, ENTRYPOINT and CMD', async () => {
    const user = runtime.user();
    const dir = makeProject({
      'devenv.yml': [
        `name: ${name('dockerfile')}`,
        'base: {dockerfile: ./Dockerfile, args: {GREETING: parity}}',
        'network: none',
        'steps:',
        '  - run: echo "$GREETING on top" > /opt/on-top',
        '',
      ].join('\n'),
      Dockerfile: [
        `FROM ${runtime.base}`,
        'ARG GREETING=hello',
        'ENV GREETING=$GREETING PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'SHELL ["/bin/sh", "-ec"]',
        'RUN mkdir -p /opt/bin && echo "$GREETING" > /opt/greeting',
        'LABEL org.example.kind=parity org.example.greeting=$GREETING',
        'EXPOSE 8080/tcp 53/udp',
        'VOLUME /data',
        'STOPSIGNAL SIGINT',
        'WORKDIR /srv/app',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["echo from-cmd"]',
        '',
      ].join('\n'),
    });
    const facts = await buildFacts(user, dir, name('dockerfile'));
    expect(facts.config.Env).toContain('GREETING=parity');
    expect(facts.config).toMatchObject({
      ExposedPorts: ['53/udp', '8080/tcp'],
      Volumes: ['/data'],
      StopSignal: 'SIGINT',
      Shell: ['/bin/sh', '-ec'],
      WorkingDir: '/srv/app',
    });
    expect(facts.config.Labels).toMatchObject({
      'org.example.kind': 'parity',
      'org.example.greeting': 'parity',
    });
    expect(entry(facts, 'opt/greeting')[3]).toBe('7');
    expect(entry(facts, 'opt/on-top')[3]).toBe('14');
    holdToReference(runtime, 'dockerfile', facts);
  });
});

describe.skipIf(lacks('debian'))('build parity with apt and file capabilities', () => {
  forEachRuntime('a Debian project', ['build'], (runtime) => {
    it('installs a package from the mirror and keeps cap_net_raw+ep through save and docker load', async () => {
      const user = runtime.user();
      const image = 'parity-debian';
      const dir = makeProject({
        'devenv.yml': [
          `name: ${image}`,
          `base: ${services.debianImage}`,
          'packageManager: apt',
          'packages: [libcap2-bin]',
          'steps:',
          '  - copy: {src: ./pinger, dest: /usr/local/bin/pinger}',
          '  - run: setcap cap_net_raw+ep /usr/local/bin/pinger',
          '',
        ].join('\n'),
        pinger: '#!/bin/sh\necho ping\n',
      });
      chmodSync(path.join(dir, 'pinger'), 0o755);
      const facts = await buildFacts(user, dir, image);
      expect(facts.tree.has('usr/sbin/setcap')).toBe(true);
      // VFS_CAP_REVISION_2 with the effective flag, then cap_net_raw (bit 13) permitted.
      expect(entry(facts, 'usr/local/bin/pinger')[6]).toMatch(/^security\.capability=0100000200200000/);

      const saved = path.join(dir, 'saved.tar');
      const save = await user.run(dir, ['save', `devenv/${image}:latest`, '-o', saved]);
      expect(save.exitCode, save.stderr).toBe(0);
      const loaded = await docker(['load', '-i', saved]);
      expect(loaded.exitCode, loaded.stderr).toBe(0);
      const getcap = await docker([
        'run',
        '--rm',
        '--network',
        'none',
        '--entrypoint',
        'getcap',
        `devenv/${image}:latest`,
        '/usr/local/bin/pinger',
      ]);
      expect(getcap.stdout.trim(), getcap.stderr).toBe('/usr/local/bin/pinger cap_net_raw=ep');
      holdToReference(runtime, 'debian', facts);
    });
  });
});
