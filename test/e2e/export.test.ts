/**
 * The exported Dockerfile and run.sh work with plain docker, without devenv: built with `docker build`
 * through run.sh, started, and a command inside sees the mounted repo, the env and the user asked for.
 */
import { execa } from 'execa';
import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { devenv } from '../helpers/cli.js';
import { makeProject, removeProject } from '../helpers/project.js';
import { lacks } from './needs.js';

const services = inject('services');
const dockerEnv = { DOCKER_HOST: services.dockerHost };
const projects: string[] = [];

async function cleanup(name: string) {
  await execa('docker', ['rm', '-f', name], { env: dockerEnv, reject: false });
}

afterAll(() => {
  for (const dir of projects) removeProject(dir);
});

describe.skipIf(lacks('docker'))('devenv export → plain docker', () => {
  it('busybox base: run.sh builds, starts and runs a command that sees the mount, env and user', async () => {
    const name = 'export-busybox';
    await cleanup(name);
    const dir = makeProject({
      'devenv.yml': [
        `name: ${name}`,
        `base: ${services.busyboxImage}`,
        'user: {name: builder, uid: 1234, gid: 2345}',
        'mounts: [".:/src"]',
        'env: {GREETING: "hello $$USER \\"quoted\\"", TOOL_HOME: /opt/tool, PATH: "/opt/tool/bin:$PATH"}',
        'steps:',
        '  - run: mkdir -p /opt/tool && echo built > /opt/tool/stamp',
        '  - copy: {src: ./files, dest: /opt/files}',
        'network: host',
      ].join('\n'),
      'files/a.txt': 'from the context\n',
      'marker.txt': 'repo file\n',
    });
    projects.push(dir);
    chownSync(dir, 1234, 2345);
    const exported = await devenv(['export'], { cwd: dir });
    expect(exported.stderr).toContain('wrote');
    expect(exported.exitCode).toBe(0);
    const script = path.join(dir, '.devenv', 'run.sh');
    expect(statSync(script).mode & 0o111).not.toBe(0);

    const run = await execa(
      script,
      [
        'sh',
        '-c',
        'id -u; id -g; pwd; cat /src/marker.txt; echo "$GREETING"; echo "$PATH"; cat /opt/tool/stamp /opt/files/a.txt; touch /src/created-inside',
      ],
      {
        env: dockerEnv,
        reject: false,
      },
    );
    expect(readFileSync(script, 'utf8')).not.toMatch(/cli\.js|\bnode\b|devenv (up|build|exec)/);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      '1234',
      '2345',
      '/src',
      'repo file',
      'hello $USER "quoted"',
      '/opt/tool/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'built',
      'from the context',
    ]);
    expect(statSync(path.join(dir, 'created-inside')).uid).toBe(1234);
    await cleanup(name);
  });

  it.skipIf(lacks('debian'))(
    'debian base: packages install with apt, user: host maps to the caller',
    async () => {
      const name = 'export-debian';
      await cleanup(name);
      const dir = makeProject({
        'devenv.yml': [
          `name: ${name}`,
          `base: ${services.debianImage}`,
          'packageManager: apt',
          'packages: [jq, file]',
          'user: {name: dev, uid: 1000, gid: 1000}',
          'mounts: [".:/work"]',
          'env: {LANG: C.UTF-8}',
        ].join('\n'),
        'data.json': '{"answer": 42}\n',
      });
      projects.push(dir);
      expect((await devenv(['export', 'out'], { cwd: dir })).exitCode).toBe(0);
      const dockerfile = readFileSync(path.join(dir, 'out', 'Dockerfile'), 'utf8');
      expect(dockerfile).toContain('apt-get install -y --no-install-recommends file jq');
      writeFileSync(path.join(dir, 'note'), 'x');
      const run = await execa(
        path.join(dir, 'out', 'run.sh'),
        ['sh', '-c', 'jq .answer /work/data.json; whoami; echo "$LANG"; ls /var/lib/apt/lists | wc -l'],
        { env: dockerEnv, reject: false },
      );
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout.split('\n')).toEqual(['42', 'dev', 'C.UTF-8', '0']);
      await cleanup(name);
    },
  );
});
