/**
 * The embedded runtime against the real thing: login and push to a registry with htpasswd basic auth
 * (password on stdin, never argv), pull back; an image saved by devenv (its layers gzip as pulled)
 * loads in `docker load` and runs there, skopeo reads it, and devenv loads it back; `docker save`
 * output loads into devenv with Docker's image ID.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import {
  cleanupSandboxes,
  devenv,
  devenvJson,
  docker,
  imageRecord,
  noRegistry,
  sandbox,
  services,
} from './env.js';
import type { ListedImage } from './env.js';
import { lacks } from '../needs.js';

afterAll(cleanupSandboxes);

describe.skipIf(lacks('docker', 'registry', 'auth-registry'))(
  'embedded runtime: registry with basic auth',
  () => {
    it('push needs login; a wrong password fails clearly; login, push, pull back', async () => {
      const box = sandbox();
      expect((await devenv(box, ['pull', services.busyboxImage])).exitCode).toBe(0);
      const target = `${services.authRegistry}/team/embedded-box:1`;
      expect((await devenv(box, ['tag', services.busyboxImage, target])).exitCode).toBe(0);

      const denied = await devenv(box, ['push', target]);
      expect(denied.exitCode).toBe(1);
      expect(denied.stderr).toContain(`unauthorized: ${services.authRegistry} refused`);
      expect(denied.stderr).toContain(`devenv login ${services.authRegistry}`);

      const login = ['login', services.authRegistry, '-u', services.authUser];
      const wrong = await devenv(box, login, { input: 'not-the-password\n' });
      expect(wrong.exitCode).toBe(1);
      expect(wrong.stderr).toContain(
        `login to ${services.authRegistry} failed: the user name or password was rejected`,
      );
      expect(existsSync(path.join(box.home, '.docker', 'config.json'))).toBe(false);

      const right = await devenv(box, login, { input: `${services.authPassword}\n` });
      expect(right.exitCode, right.stderr).toBe(0);
      expect(right.stderr).toContain(`logged in to ${services.authRegistry} as ${services.authUser}`);
      const config = readFileSync(path.join(box.home, '.docker', 'config.json'), 'utf8');
      expect(JSON.parse(config)).toEqual({
        auths: {
          [services.authRegistry]: {
            auth: Buffer.from(`${services.authUser}:${services.authPassword}`).toString('base64'),
          },
        },
      });

      const pushed = await devenv(box, ['push', target]);
      expect(pushed.exitCode, pushed.stderr).toBe(0);
      expect(pushed.stderr).toMatch(/^[0-9a-f]{12}: upload complete$/m);

      // Another store of the same user pulls it back with the stored credentials.
      const other = { ...box, root: path.join(box.dir, 'other-store') };
      const pulled = await devenvJson<{ id: string }>(other, ['pull', target]);
      const original = await devenvJson<ListedImage[]>(box, ['images']);
      expect(pulled.id).toBe(original[0]?.id);
      // And a stranger (no credentials) is refused.
      const stranger = sandbox();
      const refused = await devenv(stranger, ['pull', target]);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain('unauthorized');
    });
  },
);

describe.skipIf(noRegistry)('embedded runtime ⇄ Docker', () => {
  it.skipIf(lacks('debian'))('save IMAGE -o FILE loads with docker load and runs in Docker', async () => {
    const box = sandbox();
    expect((await devenv(box, ['pull', services.debianImage])).exitCode).toBe(0);
    const tag = 'devenv-e2e/embedded-saved:1';
    expect((await devenv(box, ['tag', services.debianImage, tag])).exitCode).toBe(0);
    const file = path.join(box.dir, 'debian.tar');
    const saved = await devenvJson<{ file: string; images: string[] }>(box, ['save', tag, '-o', file]);
    expect(saved).toMatchObject({ file, images: [tag] });
    expect(existsSync(`${file}.partial`)).toBe(false);
    // The pulled gzip layers go into the archive as they were pulled, for Docker and OCI tools alike.
    const [ours] = await devenvJson<ListedImage[]>(box, ['images']);
    const pulled = imageRecord(box, ours?.id ?? '').layers.map((layer) => layer.digest);
    const manifest = JSON.parse((await execa('tar', ['-xOf', file, 'manifest.json'])).stdout) as {
      Layers: string[];
    }[];
    expect(manifest[0]?.Layers).toEqual(pulled.map((digest) => `blobs/sha256/${digest.slice(7)}`));
    const inspected = await execa('skopeo', ['inspect', `oci-archive:${file}`]);
    expect((JSON.parse(inspected.stdout) as { Layers: string[] }).Layers).toEqual(pulled);
    await docker(['rmi', '-f', tag]).catch(() => undefined);
    expect(await docker(['load', '-i', file])).toContain(`Loaded image: ${tag}`);
    expect(await docker(['inspect', '--format', '{{.Id}}', tag])).toBe(ours?.id);
    const other = sandbox();
    expect((await devenv(other, ['load', file])).exitCode).toBe(0);
    const [loaded] = await devenvJson<ListedImage[]>(other, ['images']);
    expect(loaded).toMatchObject({ id: ours?.id, tags: [tag] });
    const release = await docker(['run', '--rm', '--network', 'none', tag, 'cat', '/etc/os-release']);
    expect(release).toContain('Debian GNU/Linux 12 (bookworm)');
    await docker(['rmi', tag]);
  });

  it("docker save output loads into devenv with Docker's image ID and tag", async () => {
    const box = sandbox();
    const image = services.debianImage === '' ? services.busyboxImage : services.debianImage;
    const file = path.join(box.dir, 'from-docker.tar');
    await docker(['save', '-o', file, image]);
    const loaded = await devenv(box, ['load', file]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(loaded.stderr).toContain(`loaded ${image}`);
    expect(loaded.stderr.match(/loaded /gi)).toHaveLength(1);
    const listed = await devenvJson<ListedImage[]>(box, ['images']);
    expect(listed).toEqual([
      expect.objectContaining({ id: await docker(['inspect', '--format', '{{.Id}}', image]), tags: [image] }),
    ]);
  });

  it('save of a name that is neither an environment nor an image says so', async () => {
    const box = sandbox();
    const run = await devenv(box, ['save', 'nothing-here', '-o', path.join(box.dir, 'x.tar')]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('there is no environment named nothing-here');
    expect(existsSync(path.join(box.dir, 'x.tar'))).toBe(false);
  });
});
