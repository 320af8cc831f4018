/**
 * The registry client against the real CNCF registry started by the e2e setup: resolve and download
 * the busybox and Debian images pushed there by Docker and check every blob and diffID ourselves; push
 * them back under new names (to the open registry, and to the htpasswd one after `login`), then prove
 * Docker and skopeo accept what we pushed.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RegistryClient } from '../../../src/runtime/embedded/registry/client.js';
import type { ResolvedImage } from '../../../src/runtime/embedded/registry/client.js';
import { platformFromNode } from '../../../src/image/oci/platform.js';
import { fileSink } from '../../../src/runtime/embedded/registry/sink.js';
import type { Descriptor } from '../../../src/image/oci/manifest-schemas.js';
import { lacks } from '../needs.js';

const services = inject('services');
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const settings = { registryMirrors: {}, insecureRegistries: [], proxy: 'none' as const };
const root = mkdtempSync(path.join(os.tmpdir(), 'devenv-registry-e2e-'));
const clients: RegistryClient[] = [];

afterAll(async () => {
  for (const client of clients) await client.close();
  rmSync(root, { recursive: true, force: true });
});

function client(name: string): RegistryClient {
  const made = new RegistryClient({
    settings,
    homeDir: path.join(root, name),
    env: { PATH: process.env['PATH'] },
    platform: platformFromNode(process.arch),
  });
  clients.push(made);
  return made;
}

function sha256File(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

/** Downloads config and layers into `dir`, checking digests and diffIDs independently of the client. */
async function pullAll(c: RegistryClient, image: ResolvedImage, dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const progress = new Map<string, number>();
  for (const descriptor of [image.config, ...image.layers]) {
    const file = path.join(dir, descriptor.digest.slice('sha256:'.length));
    await c.fetchBlob(image.repository, descriptor, await fileSink(file), (current) =>
      progress.set(descriptor.digest, current),
    );
    expect(sha256File(file)).toBe(descriptor.digest);
    expect(progress.get(descriptor.digest)).toBe(descriptor.size);
    files.set(descriptor.digest, file);
  }
  const config = JSON.parse(readFileSync(files.get(image.config.digest)!, 'utf8')) as {
    rootfs: { diff_ids: string[] };
    os: string;
  };
  expect(config.os).toBe('linux');
  expect(config.rootfs.diff_ids).toHaveLength(image.layers.length);
  image.layers.forEach((layer, i) => {
    const tar = gunzipSync(readFileSync(files.get(layer.digest)!));
    expect(`sha256:${createHash('sha256').update(tar).digest('hex')}`).toBe(config.rootfs.diff_ids[i]);
  });
  return files;
}

async function pushAll(
  c: RegistryClient,
  image: ResolvedImage,
  files: Map<string, string>,
  target: string,
  options: { chunkSize?: number; mountFrom?: string } = {},
) {
  const [repo, tag = 'latest'] = target.split(/:(?=[^:/]+$)/);
  const results: string[] = [];
  for (const descriptor of [image.config, ...image.layers] as Descriptor[]) {
    results.push(
      await c.pushBlob(repo!, descriptor, () => createReadStream(files.get(descriptor.digest)!), options),
    );
  }
  const digest = await c.putManifest(repo!, tag, image.manifest.raw, image.manifest.mediaType);
  expect(digest).toBe(image.manifestDigest);
  return results;
}

async function dockerAccepts(ref: string, dockerConfig: string): Promise<void> {
  const env = { DOCKER_HOST: services.dockerHost, DOCKER_CONFIG: dockerConfig };
  await execa('docker', ['rmi', '-f', ref], { env, reject: false });
  await execa('docker', ['pull', ref], { env });
  const run = await execa('docker', ['run', '--rm', '--network', 'none', ref, 'true'], {
    env,
    reject: false,
  });
  expect(run.exitCode).toBe(0);
  await execa('docker', ['rmi', '-f', ref], { env, reject: false });
}

describe.skipIf(lacks('registry'))('registry client against docker-registry', () => {
  it('resolves and downloads busybox, verifying every blob and diffID, then pushes it back (monolithic) for docker and skopeo', async () => {
    const c = client('open');
    const image = await c.resolveImage(services.busyboxImage);
    expect(image.layers.length).toBeGreaterThan(0);
    const dir = mkdtempSync(path.join(root, 'busybox-'));
    const files = await pullAll(c, image, dir);

    const target = `${services.registry}/devenv-e2e/pushed-busybox:v1`;
    expect(await pushAll(c, image, files, target)).toEqual(Array(files.size).fill('uploaded'));
    expect(await pushAll(c, image, files, target)).toEqual(Array(files.size).fill('exists'));
    const again = await c.resolveImage(target);
    expect(again.manifestDigest).toBe(image.manifestDigest);

    const inspected = await execa('skopeo', ['inspect', '--tls-verify=false', `docker://${target}`]);
    expect((JSON.parse(inspected.stdout) as { Digest: string }).Digest).toBe(image.manifestDigest);
    if (services.dockerHost !== '')
      await dockerAccepts(target, mkdtempSync(path.join(root, 'docker-config-')));

    // An index we write ourselves: this machine's platform, another one and an attestation-like entry.
    const platform = platformFromNode(process.arch);
    const entry = {
      mediaType: image.manifest.mediaType,
      digest: image.manifestDigest,
      size: image.manifest.raw.byteLength,
    };
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            ...entry,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
          {
            ...entry,
            platform: { os: 'linux', architecture: platform.architecture === 's390x' ? 'riscv64' : 's390x' },
          },
          { ...entry, platform },
        ],
      }),
    );
    const multi = `${services.registry}/devenv-e2e/pushed-busybox:multi`;
    const indexDigest = await c.putManifest(
      `${services.registry}/devenv-e2e/pushed-busybox`,
      'multi',
      index,
      OCI_INDEX,
    );
    const resolved = await c.resolveImage(multi);
    expect(resolved.index?.digest).toBe(indexDigest);
    expect(Buffer.from(resolved.index!.raw).equals(index)).toBe(true);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
    if (services.dockerHost !== '')
      await dockerAccepts(multi, mkdtempSync(path.join(root, 'docker-config-')));
  });

  it.skipIf(lacks('debian'))(
    'downloads Debian, pushes it with chunked uploads and with cross-repository mounts',
    async () => {
      const c = client('debian');
      const image = await c.resolveImage(services.debianImage);
      const files = await pullAll(c, image, mkdtempSync(path.join(root, 'debian-')));
      const chunked = `${services.registry}/devenv-e2e/chunked-debian:bookworm`;
      expect(await pushAll(c, image, files, chunked, { chunkSize: 5 * 1024 * 1024 })).toEqual(
        Array(files.size).fill('uploaded'),
      );
      expect((await c.resolveImage(chunked)).manifestDigest).toBe(image.manifestDigest);
      const mounted = `${services.registry}/devenv-e2e/mounted-debian:bookworm`;
      expect(await pushAll(c, image, files, mounted, { mountFrom: 'devenv-test/debian' })).toEqual(
        Array(files.size).fill('mounted'),
      );
      if (services.dockerHost !== '')
        await dockerAccepts(chunked, mkdtempSync(path.join(root, 'docker-config-')));
    },
  );

  it.skipIf(lacks('auth-registry'))(
    'logs in to the htpasswd registry, pushes there, and docker and skopeo pull it with the same credentials',
    async () => {
      const source = client('source');
      const image = await source.resolveImage(services.busyboxImage);
      const files = await pullAll(source, image, mkdtempSync(path.join(root, 'auth-')));

      const c = client('auth');
      const target = `${services.authRegistry}/devenv-e2e/private-busybox:v1`;
      await expect(c.resolveImage(target)).rejects.toThrow(
        `unauthorized: ${services.authRegistry} refused access to devenv-e2e/private-busybox; run devenv login ${services.authRegistry}`,
      );
      await expect(c.login(services.authRegistry, services.authUser, 'wrong-password')).rejects.toThrow(
        /login to .* failed: the user name or password was rejected/,
      );
      await c.login(services.authRegistry, services.authUser, services.authPassword);
      const authfile = path.join(root, 'auth', '.docker', 'config.json');
      expect(readFileSync(authfile, 'utf8')).toContain(services.authRegistry);
      await pushAll(c, image, files, target);
      expect((await c.resolveImage(target)).manifestDigest).toBe(image.manifestDigest);

      const inspected = await execa('skopeo', [
        'inspect',
        '--tls-verify=false',
        '--authfile',
        authfile,
        `docker://${target}`,
      ]);
      expect((JSON.parse(inspected.stdout) as { Digest: string }).Digest).toBe(image.manifestDigest);
      if (services.dockerHost !== '') {
        const dockerConfig = mkdtempSync(path.join(root, 'docker-config-'));
        await execa(
          'docker',
          ['login', '--username', services.authUser, '--password-stdin', services.authRegistry],
          {
            env: { DOCKER_HOST: services.dockerHost, DOCKER_CONFIG: dockerConfig },
            input: services.authPassword,
          },
        );
        await dockerAccepts(target, dockerConfig);
      }
    },
  );
});
