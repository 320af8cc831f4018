/**
 * A canary proxy credential, set in the caller's environment during build and run, reaches every
 * build step and the running container, and appears in no image history, no image or container
 * inspect, no layer of the saved bundle and no log (research/reliability.md S1, S2, S4).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, statSync } from 'node:fs';
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
  await docker(['rm', '-f', 'canary']);
});

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
});
