/**
 * Real services for end-to-end tests: a private dockerd (no bridge, no iptables), loopback registries
 * (one open, one with htpasswd basic auth), and base images made locally, because Docker Hub is out of
 * reach (docs/testing.md#what-the-e2e-setup-starts). Used by the vitest global setup and by the benchmarks.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Services {
  /** `unix://…` socket of the private dockerd, or undefined when Docker could not be started. */
  dockerHost: string | undefined;
  dockerDataRoot: string | undefined;
  /** `127.0.0.1:PORT` of the open registry. */
  registry: string | undefined;
  /** `127.0.0.1:PORT` of the registry that needs basic auth. */
  authRegistry: string | undefined;
  authUser: string;
  authPassword: string;
  /** Root filesystem tarballs made on this machine. */
  busyboxTar: string;
  debianTar: string | undefined;
  /** Image references pushed to the open registry. */
  images: { busybox: string; debian: string | undefined };
  root: string;
  stop: () => Promise<void>;
}

function which(bin: string): string | undefined {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const full = path.join(dir, bin);
    if (existsSync(full)) return full;
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startLogged(
  bin: string,
  args: string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const out = createWriteStream(log);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  return child;
}

/** Stops a child started by {@link startLogged} (its whole process group), SIGKILL after `timeoutMs`. */
export async function stopChild(child: ChildProcess | undefined, timeoutMs = 15_000): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null) return;
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      r();
    }),
  );
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Makes a busybox root filesystem tarball (2 MB, under a second). */
export function makeBusyboxTar(dir: string): string {
  const tar = path.join(dir, 'busybox-rootfs.tar');
  if (existsSync(tar)) return tar;
  const busybox = which('busybox');
  if (busybox === undefined) throw new Error('busybox is not installed (apt-get install busybox-static)');
  const root = path.join(dir, 'busybox-root');
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  for (const d of [
    'etc',
    'tmp',
    'root',
    'home',
    'proc',
    'sys',
    'dev',
    'usr/bin',
    'usr/sbin',
    'sbin',
    'var/tmp',
  ])
    mkdirSync(path.join(root, d), { recursive: true });
  copyFileSync(busybox, path.join(root, 'bin/busybox'));
  execFileSync('chmod', ['0755', path.join(root, 'bin/busybox')]);
  execFileSync('chroot', [root, '/bin/busybox', '--install', '-s', '/bin']);
  writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  execFileSync('chmod', ['1777', path.join(root, 'tmp')]);
  execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', tar, '.']);
  return tar;
}

/** The Debian mirror this machine's apt uses. */
export function debianMirror(): string {
  const sources = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(sources)) {
    const uri = /^URIs:\s*(\S+)/m.exec(readFileSync(sources, 'utf8'));
    if (uri?.[1] !== undefined) return uri[1];
  }
  return 'http://deb.debian.org/debian';
}

/** A minbase Debian bookworm rootfs tarball, cached per day under `cacheDir` (about 30 s when cold). */
export function makeDebianTar(cacheDir: string): string | undefined {
  const day = new Date().toISOString().slice(0, 10);
  const dir = path.join(cacheDir, day);
  const tar = path.join(dir, 'debian-bookworm-rootfs.tar');
  if (existsSync(tar)) return tar;
  const debootstrap = which('debootstrap');
  if (debootstrap === undefined) return undefined;
  mkdirSync(dir, { recursive: true });
  // Several runs may start at once (parallel projects, or people): each makes its own copy and the
  // rename is atomic (a later one replaces it with an equal copy), so nobody reads half a tarball.
  const root = path.join(dir, `root-${process.pid}`);
  const partial = `${tar}.${process.pid}.partial`;
  execFileSync(debootstrap, ['--variant=minbase', 'bookworm', root, debianMirror()], { stdio: 'ignore' });
  // debootstrap leaves its apt lists and caches; the image does not need them.
  execFileSync('sh', ['-c', `rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/*.bin`]);
  execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', partial, '.']);
  execFileSync('mv', [partial, tar]);
  execFileSync('rm', ['-rf', root]);
  return tar;
}

function docker(host: string, args: string[], input?: Buffer): string {
  return execFileSync('docker', args, {
    env: { ...process.env, DOCKER_HOST: host },
    input,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString();
}

/**
 * Starts dockerd on its own socket and data root (`extraArgs` such as `--experimental` appended);
 * returns the child, or undefined without dockerd.
 */
export async function startDockerd(
  root: string,
  extraArgs: readonly string[] = [],
): Promise<{ child: ChildProcess; host: string; dataRoot: string } | undefined> {
  const dockerd = which('dockerd');
  if (dockerd === undefined || which('docker') === undefined || process.getuid?.() !== 0) return undefined;
  const dataRoot = path.join(root, 'docker');
  const execRoot = path.join(root, 'exec');
  const socket = path.join(root, 'docker.sock');
  const host = `unix://${socket}`;
  mkdirSync(dataRoot, { recursive: true });
  const child = startLogged(
    dockerd,
    [
      '--iptables=false',
      '--bridge=none',
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '--pidfile',
      path.join(root, 'docker.pid'),
      '--host',
      host,
      ...extraArgs,
    ],
    path.join(root, 'dockerd.log'),
  );
  await waitFor(
    () => {
      try {
        docker(host, ['version', '--format', '{{.Server.Version}}']);
        return true;
      } catch {
        return false;
      }
    },
    'dockerd',
    60_000,
  );
  return { child, host, dataRoot };
}

/** Starts a docker-registry on loopback, with basic auth when `htpasswd` is given. */
export async function startRegistry(
  root: string,
  name: string,
  htpasswd?: string,
): Promise<{ child: ChildProcess; address: string } | undefined> {
  const bin = which('docker-registry');
  if (bin === undefined) return undefined;
  const port = await freePort();
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const auth =
    htpasswd === undefined ? '' : `auth:\n  htpasswd:\n    realm: devenv-test\n    path: ${htpasswd}\n`;
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child = startLogged(bin, ['serve', config], path.join(dir, 'registry.log'));
  const address = `127.0.0.1:${port}`;
  const start = Date.now();
  while (!(await canConnect(port))) {
    if (Date.now() - start > 20_000) throw new Error(`timed out waiting for registry ${name}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, address };
}

/** Starts everything; parts that cannot run here come back undefined. */
export async function startServices(root: string, cacheDir: string): Promise<Services> {
  mkdirSync(root, { recursive: true });
  const children: ChildProcess[] = [];
  const authUser = 'devenv';
  const authPassword = 'test-password';
  const busyboxTar = makeBusyboxTar(root);
  const debianTar = makeDebianTar(cacheDir);

  let htpasswd: string | undefined;
  if (which('htpasswd') !== undefined) {
    htpasswd = path.join(root, 'htpasswd');
    writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', authUser, authPassword]));
  }
  const registry = await startRegistry(root, 'registry');
  const authRegistry =
    htpasswd === undefined ? undefined : await startRegistry(root, 'auth-registry', htpasswd);
  if (registry !== undefined) children.push(registry.child);
  if (authRegistry !== undefined) children.push(authRegistry.child);

  const dockerd = await startDockerd(root);
  if (dockerd !== undefined) children.push(dockerd.child);
  const images: Services['images'] = {
    busybox: `${registry?.address ?? 'localhost'}/devenv-test/busybox:latest`,
    debian: undefined,
  };
  if (dockerd !== undefined) {
    docker(dockerd.host, ['import', busyboxTar, images.busybox]);
    if (debianTar !== undefined) {
      images.debian = `${registry?.address ?? 'localhost'}/devenv-test/debian:bookworm`;
      docker(dockerd.host, ['import', '--change', 'CMD ["bash"]', debianTar, images.debian]);
    }
    if (registry !== undefined) {
      docker(dockerd.host, ['push', images.busybox]);
      if (images.debian !== undefined) docker(dockerd.host, ['push', images.debian]);
    }
  }
  return {
    dockerHost: dockerd?.host,
    dockerDataRoot: dockerd?.dataRoot,
    registry: registry?.address,
    authRegistry: authRegistry?.address,
    authUser,
    authPassword,
    busyboxTar,
    debianTar,
    images,
    root,
    stop: async () => {
      if (dockerd !== undefined) {
        try {
          const ids = docker(dockerd.host, ['ps', '-aq']).split('\n').filter(Boolean);
          if (ids.length > 0) docker(dockerd.host, ['rm', '-f', ...ids]);
        } catch {
          /* best effort */
        }
      }
      for (const child of children.reverse()) await stopChild(child);
    },
  };
}
