/**
 * Blob ingest conformance (containerd's content testsuite, docs/reliability.md, rule 1, R1-R4,
 * K4): verified commit, a failed ingest leaves nothing and the digest stays reusable, duplicates and
 * concurrent ingests of one digest do the work once, malformed digests never reach a path.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../../src/errors.js';
import { cleanupDirs, freshStore, sha256, streamOf } from './helpers/fixtures.js';

afterAll(cleanupDirs);

const data = Buffer.from('hello blob '.repeat(10_000));
const digest = sha256(data);

function failing(after: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield after;
      await Promise.resolve();
      throw new Error('connection reset');
    })(),
  );
}

describe('blob ingest', () => {
  it('stores verified content under blobs/sha256/<hex>, read-only, and reads it back', async () => {
    const store = await freshStore();
    const result = await store.blobs.ingest({ digest, size: data.length }, () => streamOf(data));
    expect(result).toEqual({ digest, size: data.length, existed: false });
    const file = store.blobs.path(digest);
    expect(file).toBe(`${store.root}/blobs/sha256/${digest.slice(7)}`);
    expect(readFileSync(file).equals(data)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o444);
    expect((await store.blobs.read(digest)).equals(data)).toBe(true);
    expect(readdirSync(store.paths.ingestDir)).toEqual([]);
  });

  it('a second ingest of the same digest does not read its source', async () => {
    const store = await freshStore();
    await store.blobs.ingest({ digest }, () => streamOf(data));
    let opened = false;
    const again = await store.blobs.ingest({ digest }, () => {
      opened = true;
      return streamOf(data);
    });
    expect(again.existed).toBe(true);
    expect(opened).toBe(false);
  });

  it.each([
    ['wrong content', () => streamOf(Buffer.from('something else')), { digest }, /digest mismatch/],
    ['short body', () => streamOf(data.subarray(0, 100)), { digest, size: data.length }, /size mismatch/],
    [
      'long body',
      () => streamOf(Buffer.concat([data, Buffer.from('x')])),
      { digest, size: data.length },
      /longer than/,
    ],
    ['broken stream', () => failing(data.subarray(0, 1000)), { digest }, /connection reset/],
  ])(
    '%s: fails, leaves nothing under a final name, and the digest stays reusable',
    async (_name, source, expected, message) => {
      const store = await freshStore();
      await expect(store.blobs.ingest(expected, source)).rejects.toThrow(message);
      expect(existsSync(store.blobs.path(digest))).toBe(false);
      expect(readdirSync(store.paths.blobsDir)).toEqual([]);
      expect(readdirSync(store.paths.ingestDir)).toEqual([]);
      const retry = await store.blobs.ingest({ digest, size: data.length }, () => streamOf(data));
      expect(retry.existed).toBe(false);
      expect(await store.blobs.verify(digest)).toBe(true);
    },
  );

  it.each([
    'sha256:../../etc/passwd',
    `sha256:${'A'.repeat(64)}`,
    `md5:${'a'.repeat(32)}`,
    '',
    `sha256:${'a'.repeat(63)}/`,
  ])('refuses the digest %j before it touches a path or the source', async (bad) => {
    const store = await freshStore();
    let opened = false;
    const attempt = store.blobs.ingest({ digest: bad }, () => {
      opened = true;
      return streamOf(data);
    });
    await expect(attempt).rejects.toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    expect(opened).toBe(false);
    expect(() => store.blobs.path(bad)).toThrow(DevenvError);
    expect(readdirSync(store.paths.ingestDir)).toEqual([]);
  });

  it('concurrent ingests of one digest in one process read the source once (K4)', async () => {
    const store = await freshStore();
    let opened = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.blobs.ingest({ digest, size: data.length }, () => {
          opened++;
          return streamOf(data, 1024);
        }),
      ),
    );
    expect(opened).toBe(1);
    expect(results.filter((r) => !r.existed)).toHaveLength(1);
    expect(results.every((r) => r.digest === digest)).toBe(true);
  });

  it('a waiter whose leader failed ingests for itself', async () => {
    const store = await freshStore();
    const sources = [() => streamOf(Buffer.from('bad')), () => streamOf(data)];
    const [first, second] = await Promise.allSettled(
      sources.map((source) => store.blobs.ingest({ digest }, source)),
    );
    expect(first?.status).toBe('rejected');
    expect(second).toMatchObject({ status: 'fulfilled', value: { digest, existed: false } });
  });

  it('blobs of unknown digest are hashed and stored by content', async () => {
    const store = await freshStore();
    const result = await store.blobs.write(Buffer.from('{"a":1}'));
    expect(result.digest).toBe(sha256('{"a":1}'));
    expect(await store.blobs.list()).toEqual([result.digest]);
  });

  it('streams of unknown digest are hashed while written, under a temporary ingest name', async () => {
    const store = await freshStore();
    const result = await store.blobs.writeStream(() => streamOf(data, 4096));
    expect(result).toEqual({ digest, size: data.length, existed: false });
    expect((await store.blobs.writeStream(() => streamOf(data))).existed).toBe(true);
    expect(readdirSync(store.paths.ingestDir)).toEqual([]);
  });

  it('re-verifies on read: a blob changed on disk fails to read and to stream', async () => {
    const store = await freshStore();
    await store.blobs.ingest({ digest }, () => streamOf(data));
    const file = store.blobs.path(digest);
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.concat([data.subarray(1), Buffer.from('!')]));
    await expect(store.blobs.read(digest)).rejects.toThrow(/failed to verify/);
    const chunks: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of store.blobs.openRead(digest)) chunks.push(chunk as Buffer);
      })(),
    ).rejects.toThrow(/failed to verify/);
    expect(await store.blobs.verify(digest)).toBe(false);
  });
});

describe('blob adopt', () => {
  it('adopts a scratch file whose digest the caller computed, and refuses one that does not match', async () => {
    const store = await freshStore();
    const file = `${store.paths.tmpDir}/scratch-ok`;
    writeFileSync(file, data);
    const result = await store.blobs.adopt(file, { digest, size: data.length }, undefined, {
      digest,
      size: data.length,
    });
    expect(result).toEqual({ digest, size: data.length, existed: false });
    expect(await store.blobs.verify(digest)).toBe(true);
    expect(existsSync(file)).toBe(false);

    const other = Buffer.from('other bytes');
    const wrong = `${store.paths.tmpDir}/scratch-wrong`;
    writeFileSync(wrong, other);
    await expect(
      store.blobs.adopt(wrong, { digest: sha256(data.subarray(1)), size: other.length }, undefined, {
        digest: sha256(other),
        size: other.length,
      }),
    ).rejects.toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    expect(existsSync(wrong)).toBe(false);
    expect(await store.blobs.has(sha256(other))).toBe(false);
  });
});
