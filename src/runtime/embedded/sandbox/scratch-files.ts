/**
 * The sandbox's own files: /etc/hosts, /etc/resolv.conf and /etc/hostname, bind-mounted over the
 * image's (which are never written), and in overlay mode the init layer: a small top lower layer
 * holding the mount points, so that they never land in the upper dir the builder turns into a
 * layer, and so that an image whose /proc, /dev, /sys or /etc/hosts is a symlink is covered by a
 * real directory or file (Docker's "-init" layer does the same).
 */
import { mkdir, readFile, writeFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { SandboxSpec } from './index.js';
import type { ScratchFiles } from './mount-plan.js';

/** /etc/hosts of a sandbox with its own, empty network namespace: loopback names only. */
export const LOOPBACK_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
  '',
].join('\n');

async function hostFile(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

/** Writes the three /etc files into `dir` (which exists) and returns their paths. */
export async function writeScratchFiles(spec: SandboxSpec, dir: string): Promise<ScratchFiles> {
  const hosts =
    spec.hosts ??
    (spec.network === 'host' ? ((await hostFile('/etc/hosts')) ?? LOOPBACK_HOSTS) : LOOPBACK_HOSTS);
  const resolvConf = spec.resolvConf ?? (await hostFile('/etc/resolv.conf')) ?? '';
  const files: ScratchFiles = {
    hosts: path.join(dir, 'hosts'),
    resolvConf: path.join(dir, 'resolv.conf'),
    hostname: path.join(dir, 'hostname'),
  };
  await writeFile(files.hosts, hosts, { mode: 0o644 });
  await writeFile(files.resolvConf, resolvConf, { mode: 0o644 });
  await writeFile(files.hostname, `${spec.hostname}\n`, { mode: 0o644 });
  return files;
}

/** Creates the init layer at `dir`: the mount points of the sandbox and nothing else. */
export async function writeInitLayer(dir: string): Promise<void> {
  await mkdir(dir, { mode: 0o755 });
  for (const sub of ['proc', 'sys']) await mkdir(path.join(dir, sub), { mode: 0o555 });
  for (const sub of ['dev', 'etc']) await mkdir(path.join(dir, sub), { mode: 0o755 });
  for (const file of ['hosts', 'resolv.conf', 'hostname'])
    await writeFile(path.join(dir, 'etc', file), '', { mode: 0o644 });
}
