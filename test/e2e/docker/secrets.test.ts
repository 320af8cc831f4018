/**
 * A canary proxy credential, set in the caller's environment during build and run, reaches every
 * build step and the running container, and appears in no image history, no image or container
 * inspect, no layer of the saved bundle and no log (docs/reliability.md, S1, S2, S4).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { busyboxProject, docker, noDocker, isolatedEnv, run } from './env.js';

const CANARY = `CANARY-${randomUUID()}`;
const proxy = `http://user:${CANARY}@127.0.0.1:9`;

afterAll(async () => {
  await docker(['rm', '-f', 'canary', 'canary-rm']);
});

/** Every file under `roots` whose bytes hold the canary. */
function holders(roots: readonly string[]): string[] {
  return roots.flatMap((root) =>
    readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .filter((file) => readFileSync(file).includes(CANARY)),
  );
}

/** Every byte of a tar, and of every tar (plain or gzip) inside it, as one list of texts to search. */
async function tarTexts(stream: NodeJS.ReadableStream, depth = 0): Promise<{ name: string; text: string }[]> {
  const found: { name: string; text: string }[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, entry, next) => {
    const chunks: Buffer[] = [];
    entry.on('data', (c: unknown) => chunks.push(c as Buffer));
    entry.on('end', () => {
      const data = Buffer.concat(chunks);
      found.push({ name: header.name, text: data.toString('latin1') });
      const nested = data[0] === 0x1f && data[1] === 0x8b ? createGunzip() : undefined;
      const isTar = data.length > 512 && data.subarray(257, 262).toString() === 'ustar';
      if (depth < 2 && (nested !== undefined || isTar)) {
        const source = new PassThrough();
        const inner = tarTexts(nested === undefined ? source : source.pipe(nested), depth + 1);
        source.end(data);
        inner.then((texts) => {
          for (const t of texts) found.push({ name: `${header.name}!${t.name}`, text: t.text });
          next();
        }, next);
        return;
      }
      next();
    });
  });
  await pipeline(stream, extract);
  return found;
}

describe.skipIf(noDocker)('the proxy never lands in an image, a config, a bundle or a log', () => {
  it('build and run see the canary; history, inspect, bundle layers and logs do not', async () => {
    const env = isolatedEnv({ HTTP_PROXY: proxy, http_proxy: proxy, HTTPS_PROXY: proxy });
    const dir = busyboxProject('canary', [
      'steps:',
      '  - run: test "$HTTP_PROXY" = "$http_proxy" && test -n "$HTTPS_PROXY" && echo proxy-seen-in-build > /build-ok',
      'mounts: [{volume: data, target: /data}]',
    ]);

    const up = await run(dir, env, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(`${up.stdout}${up.stderr}`).not.toContain(CANARY);
    const seen = await run(dir, env, ['exec', '--', 'sh', '-c', 'cat /build-ok; echo "$HTTP_PROXY"']);
    expect(seen.stdout.split('\n')).toEqual(['proxy-seen-in-build', proxy]);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo hello > /data/x; echo in-layer > /root/y']);

    const history = await docker(['history', '--no-trunc', 'devenv/canary:latest']);
    expect(history.exitCode).toBe(0);
    expect(history.stdout).not.toContain(CANARY);
    expect((await docker(['image', 'inspect', 'devenv/canary:latest'])).stdout).not.toContain(CANARY);
    const containerInspect = await docker(['container', 'inspect', 'canary']);
    expect(containerInspect.stdout).toContain('/run/devenv/env');
    expect(containerInspect.stdout).not.toContain(CANARY);
    expect(
      `${(await docker(['logs', 'canary'])).stdout}${(await run(dir, env, ['logs'])).stdout}`,
    ).not.toContain(CANARY);
    const envFile = path.join(env['HOME'] ?? '', '.local/state/devenv/envs/canary/env');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);

    const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'canary-')), 'canary.tar');
    const saved = await run(dir, env, ['save', '-o', bundle]);
    expect(saved.exitCode, saved.stderr).toBe(0);
    const texts = await tarTexts(createReadStream(bundle));
    expect(texts.length).toBeGreaterThan(5);
    expect(
      texts.filter((t) => t.name.endsWith('layer.tar') || t.name.startsWith('blobs/')).length,
    ).toBeGreaterThan(0);
    expect(texts.some((t) => t.text.includes('in-layer'))).toBe(true);
    expect(texts.filter((t) => t.text.includes(CANARY)).map((t) => t.name)).toEqual([]);
  });

  it('the credential file lives only in the state folder, while the container does', async () => {
    const state = mkdtempSync(path.join(os.tmpdir(), 'canary-state-'));
    const env = isolatedEnv({ HTTP_PROXY: proxy, http_proxy: proxy, XDG_STATE_HOME: state });
    const dir = busyboxProject('canary-rm', []);
    const roots = [state, env['HOME'] ?? '', dir];
    const envFile = path.join(state, 'devenv/envs/canary-rm/env');

    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    expect(holders(roots)).toEqual([envFile]);
    expect((await run(dir, env, ['stop'])).exitCode).toBe(0);
    expect(holders(roots)).toEqual([envFile]);
    const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'canary-')), 'canary-rm.tar');
    expect((await run(dir, env, ['save', '-o', bundle])).exitCode).toBe(0);
    expect(holders([...roots, path.dirname(bundle)])).toEqual([envFile]);

    expect((await run(dir, env, ['rm', '-f'])).exitCode).toBe(0);
    expect(holders(roots)).toEqual([]);

    // A failed create hook fails the up but leaves the container, which still needs the file.
    writeFileSync(
      path.join(dir, 'devenv.yml'),
      `${readFileSync(path.join(dir, 'devenv.yml'), 'utf8')}\nhooks: {create: ["exit 3"]}\n`,
    );
    const failed = await run(dir, env, ['up', '-d']);
    expect(failed.exitCode, failed.stderr).toBe(1);
    expect(holders(roots)).toEqual([envFile]);
    expect((await run(dir, env, ['rm', '-f'])).exitCode).toBe(0);
    expect(holders(roots)).toEqual([]);
  });
});
