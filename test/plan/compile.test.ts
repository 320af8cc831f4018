/** compilePlan behaviour that the goldens do not spell out. */
import { describe, expect, it } from 'vitest';
import type { DevenvConfigInput } from '../../src/config/schema.js';
import { DevenvConfigSchema } from '../../src/config/schema.js';
import { compilePlan } from '../../src/plan/compile-plan.js';
import { fixedContext } from '../helpers/plan-context.js';

async function plan(
  input: Omit<DevenvConfigInput, 'name'> & { name?: string },
  env: Record<string, string> = {},
) {
  const config = DevenvConfigSchema.parse(input);
  return compilePlan({ ...config, name: input.name ?? 'test' }, await fixedContext('test', env));
}

describe('compilePlan', () => {
  it('installs packages sorted and de-duplicated, in one RUN that cleans up after itself', async () => {
    const { image } = await plan({
      base: 'debian:bookworm',
      packages: ['make', 'git', 'make', 'gcc=4:12.2.0-3'],
    });
    expect(image.dockerfile).toContain(
      'apt-get install -y --no-install-recommends gcc=4:12.2.0-3 git make \\\n    && rm -rf /var/lib/apt/lists/*',
    );
    expect(image.dockerfile.match(/^RUN /gm)).toHaveLength(1);
  });

  it('uses each package manager fragment', async () => {
    expect((await plan({ base: 'alpine:3.20', packages: ['git'] })).image.dockerfile).toContain(
      'RUN apk add --no-cache git',
    );
    expect((await plan({ base: 'fedora:40', packages: ['git'] })).image.dockerfile).toContain(
      'dnf install -y --setopt=install_weak_deps=False git',
    );
    expect((await plan({ base: 'centos:7', packages: ['git'] })).image.dockerfile).toContain(
      'yum install -y git',
    );
    expect((await plan({ base: 'archlinux', packages: ['git'] })).image.dockerfile).toContain(
      'pacman -Syu --noconfirm --needed git',
    );
    expect((await plan({ base: 'opensuse/leap:15', packages: ['git'] })).image.dockerfile).toContain(
      'zypper --non-interactive install --no-recommends git',
    );
    expect(
      (await plan({ base: 'my/image', packageManager: 'apk', packages: ['foo>1.2'] })).image.dockerfile,
    ).toContain("apk add --no-cache 'foo>1.2'");
    expect(
      (await plan({ base: 'registry.access.redhat.com/ubi9/ubi-minimal', packages: ['git'] })).image
        .dockerfile,
    ).toContain('RUN microdnf install -y --setopt=install_weak_deps=0 git \\\n    && microdnf clean all');
  });

  it('knows a mirrored base by its last path components', async () => {
    const { image } = await plan({ base: '127.0.0.1:5000/library/debian:bookworm', packages: ['git'] });
    expect(image.dockerfile).toContain(
      'RUN apt-get update \\\n    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git',
    );
    const bootstrap = await plan({ base: { bootstrap: 'debian:bookworm' }, packages: ['git'] });
    expect(bootstrap.image.dockerfile).toContain('apt-get install -y --no-install-recommends git');
  });

  it('finds the package manager at build time when the base name does not tell, in one RUN', async () => {
    const { image } = await plan({ base: 'registry.lan/team/devbase:1', packages: ['make', 'git'] });
    const lines = image.dockerfile
      .split('\n')
      .filter((line) => line.includes('command -v apt-get') || line.startsWith('    '))
      .slice(0, 8);
    expect(lines).toEqual([
      'RUN if command -v apt-get >/dev/null 2>&1; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git make && rm -rf /var/lib/apt/lists/*; \\',
      '    elif command -v apk >/dev/null 2>&1; then apk add --no-cache git make; \\',
      '    elif command -v dnf >/dev/null 2>&1; then dnf install -y --setopt=install_weak_deps=False git make && dnf clean all && rm -rf /var/cache/dnf; \\',
      '    elif command -v yum >/dev/null 2>&1; then yum install -y git make && yum clean all && rm -rf /var/cache/yum; \\',
      '    elif command -v microdnf >/dev/null 2>&1; then microdnf install -y --setopt=install_weak_deps=0 git make && microdnf clean all; \\',
      '    elif command -v pacman >/dev/null 2>&1; then pacman -Syu --noconfirm --needed git make && pacman -Scc --noconfirm; \\',
      '    elif command -v zypper >/dev/null 2>&1; then zypper --non-interactive refresh && zypper --non-interactive install --no-recommends git make && zypper clean --all; \\',
      "    else echo 'devenv: cannot install git make: found none of apt-get, apk, dnf, yum, microdnf, pacman, zypper in the base image; set packageManager: in devenv.yml if the base has one, or install the packages in a step' >&2; exit 1; fi",
    ]);
    expect(image.dockerfile.match(/^RUN /gm)).toHaveLength(1);
    const explicit = await plan({
      base: 'registry.lan/team/devbase:1',
      packageManager: 'apk',
      packages: ['git'],
    });
    expect(explicit.image.dockerfile).not.toContain('command -v apt-get');
    expect(explicit.image.dockerfile).toContain('RUN apk add --no-cache git');
  });

  it('keeps the proxy out of the Dockerfile: build args and runtime env only', async () => {
    const p = await plan({
      base: 'alpine',
      proxy: { http: 'http://user:CANARY@proxy:3128', noProxy: ['localhost', '.corp'] },
    });
    expect(p.image.dockerfile).not.toContain('CANARY');
    expect(p.image.dockerfile).not.toMatch(/proxy/i);
    expect(p.image.proxyArgs).toMatchObject({
      HTTP_PROXY: 'http://user:CANARY@proxy:3128',
      http_proxy: 'http://user:CANARY@proxy:3128',
      NO_PROXY: 'localhost,.corp',
    });
    expect(p.run.secretEnv['HTTP_PROXY']).toBe('http://user:CANARY@proxy:3128');
    expect(JSON.stringify(p.run.labels) + JSON.stringify(p.run.env)).not.toContain('CANARY');
    expect(p.digests.run).toBe((await plan({ base: 'alpine', proxy: 'none' })).digests.run);
  });

  it("inherits the caller's proxy variables, either case, unless proxy: none", async () => {
    const env = { https_proxy: 'http://p:1', NO_PROXY: 'x' };
    expect((await plan({ base: 'alpine' }, env)).image.proxyArgs).toEqual({
      HTTPS_PROXY: 'http://p:1',
      https_proxy: 'http://p:1',
      NO_PROXY: 'x',
      no_proxy: 'x',
    });
    expect((await plan({ base: 'alpine', proxy: 'none' }, env)).image.proxyArgs).toEqual({});
  });

  it("user: host creates the caller's user and runs as it; root makes none", async () => {
    const host = await plan({ base: 'ubuntu:24.04', user: 'host' });
    expect(host.image.dockerfile).toContain('user=dev uid=1000 gid=1000 shell=/bin/bash');
    expect(host.image.dockerfile).toContain('USER 1000:1000');
    expect(host.run.user).toBe('1000:1000');
    const root = await plan({ base: 'ubuntu:24.04' });
    expect(root.image.dockerfile).not.toContain('USER');
    expect(root.run.user).toBeUndefined();
  });

  it('writes metadata last, after packages, user and steps', async () => {
    const { image } = await plan({
      base: 'ubuntu',
      packages: ['git'],
      user: { name: 'me', uid: 1001 },
      build: { args: { V: '1' }, squash: false },
      steps: [{ run: 'make' }],
      env: { A: 'b' },
      workdir: '/w',
      ports: ['8000:80'],
      command: 'serve',
    });
    const keywords = image.dockerfile
      .split('\n')
      .filter((l) => /^[A-Z]+ /.test(l))
      .map((l) => l.split(' ')[0]);
    expect(keywords).toEqual(['FROM', 'RUN', 'RUN', 'ARG', 'RUN', 'WORKDIR', 'USER', 'EXPOSE', 'CMD']);
    expect(image.dockerfile).toContain('CMD ["/bin/sh", "-c", "serve"]');
  });

  it('writes multi-line, continued, heredoc and JSON-looking run steps in exec form', async () => {
    const { image } = await plan({
      base: 'alpine',
      steps: [
        { run: 'echo a\necho b' },
        { run: 'echo a \\' },
        { run: 'cat <<EOF' },
        { run: '["x"]' },
        { run: ['make', '-j2'] },
        { run: 'echo plain' },
      ],
    });
    expect(image.dockerfile).toContain('RUN ["/bin/sh", "-c", "echo a\\necho b"]');
    expect(image.dockerfile).toContain('RUN ["/bin/sh", "-c", "echo a \\\\"]');
    expect(image.dockerfile).toContain('RUN ["/bin/sh", "-c", "cat \\u003c\\u003cEOF"]');
    expect(image.dockerfile).toContain('RUN ["/bin/sh", "-c", "[\\"x\\"]"]');
    expect(image.dockerfile).toContain('RUN ["make", "-j2"]');
    expect(image.dockerfile).toContain('RUN echo plain');
  });

  it('escapes stage env values; $NAME stays a reference and $$ is a literal dollar', async () => {
    const env = { P: '/opt/bin:$PATH', Q: 'a"b\\c', D: 'cost $$5 and $ alone', R: '${HOME:-/root}/x' };
    const { image } = await plan({ base: 'alpine', stages: { s: { base: 'alpine', env } } });
    expect(image.dockerfile).toContain('P="/opt/bin:$PATH"');
    expect(image.dockerfile).toContain('Q="a\\"b\\\\c"');
    expect(image.dockerfile).toContain('D="cost \\$5 and \\$ alone"');
    expect(image.dockerfile).toContain('R="${HOME:-/root}/x"');
  });

  it('env is a run setting: no ENV line, in the run spec and its digest, unresolved', async () => {
    const before = await plan({ base: 'alpine', env: { P: '/opt/bin:$PATH' } });
    const after = await plan({ base: 'alpine', env: { P: '/opt/bin:$PATH', FOO: '1' } });
    expect(before.image.dockerfile).not.toMatch(/^ENV /m);
    expect(before.run.env).toEqual({ P: '/opt/bin:$PATH' });
    expect(after.digests.image).toBe(before.digests.image);
    expect(after.digests.run).not.toBe(before.digests.run);
  });

  it('orders stages so each comes after the stages it copies from', async () => {
    const { image } = await plan({
      base: 'alpine',
      stages: {
        final: { base: 'alpine', steps: [{ copy: { from: 'middle', src: '/m', dest: '/m' } }] },
        middle: { base: 'alpine', steps: [{ copy: { from: 'first', src: '/f', dest: '/f' } }] },
        first: { base: 'alpine' },
      },
    });
    expect(image.dockerfile.match(/^FROM .*$/gm)).toEqual([
      'FROM alpine AS first',
      'FROM alpine AS middle',
      'FROM alpine AS final',
      'FROM alpine',
    ]);
  });

  it('non-registry bases become prerequisites with their own tags', async () => {
    const { image } = await plan({
      name: 'My_Env',
      base: { dockerfile: 'docker/Dockerfile', target: 'dev', args: { V: 2 } },
    });
    expect(image.tag).toMatch(/^devenv\/my-env-[0-9a-f]{6}:latest$/);
    expect(image.prerequisites).toEqual([
      {
        kind: 'dockerfile',
        tag: expect.stringMatching(/^devenv\/my-env-[0-9a-f]{6}-base:latest$/),
        dockerfile: 'docker/Dockerfile',
        context: 'docker',
        target: 'dev',
        args: { V: '2' },
      },
    ]);
    expect(image.dockerfile).toContain(`FROM ${image.prerequisites[0]?.tag}`);
  });

  it('the run digest changes with run settings only; the image digest with image inputs only', async () => {
    const a = await plan({ base: 'alpine', mounts: ['.:/src'] });
    const b = await plan({ base: 'alpine', mounts: ['.:/src', '/dev/shm:/shm'] });
    const c = await plan({ base: 'alpine', mounts: ['.:/src'], packages: ['git'] });
    expect(b.digests.image).toBe(a.digests.image);
    expect(b.digests.run).not.toBe(a.digests.run);
    expect(c.digests.image).not.toBe(a.digests.image);
    expect(c.digests.run).toBe(a.digests.run);
  });

  it('an interactive shell stops on SIGHUP; a service keeps SIGTERM', async () => {
    expect((await plan({ base: 'alpine' })).run.stopSignal).toBe('SIGHUP');
    expect((await plan({ base: 'alpine', command: ['nginx'] })).run.stopSignal).toBeUndefined();
  });

  it('resolves mounts: relative to the project, ~ to home, volumes namespaced per environment', async () => {
    const p = await plan({
      name: 'box',
      base: 'alpine',
      mounts: ['.:/src', '~/cache:/c:ro', { volume: 'data', target: '/data' }],
    });
    expect(p.run.mounts).toEqual([
      { type: 'bind', source: '/projects/test', target: '/src', readonly: false },
      { type: 'bind', source: '/home/dev/cache', target: '/c', readonly: true },
      { type: 'volume', name: 'devenv-box-data', target: '/data', readonly: false },
    ]);
    expect(p.run.workdir).toBe('/src');
  });
});
