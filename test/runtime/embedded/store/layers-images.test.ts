/**
 * Layers keyed by chain ID, built through the injected unpacker and committed by rename; image records
 * with byte-exact configs (ID = sha256 of the config); tags normalised through parseReference.
 */
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeTag } from '../../../../src/image/reference.js';
import { chainIdOf, chainIdsOf } from '../../../../src/runtime/embedded/store/index.js';
import {
  cleanupDirs,
  freshStore,
  makeConfig,
  makeLayer,
  sha256,
  storeImage,
  streamOf,
} from './helpers/fixtures.js';
import { countingUnpacker } from './helpers/tar-unpacker.js';

afterAll(cleanupDirs);

describe('chain IDs', () => {
  it('are the diff ID for a base layer and sha256("<parent> <diffID>") above it', () => {
    const a = sha256('a');
    const b = sha256('b');
    expect(chainIdOf(undefined, a)).toBe(a);
    expect(chainIdOf(a, b)).toBe(sha256(`${a} ${b}`));
    expect(chainIdsOf([a, b, a])).toEqual([a, sha256(`${a} ${b}`), sha256(`${sha256(`${a} ${b}`)} ${a}`)]);
  });

  it('match the chain IDs Docker 20.10 computed for a three-layer image (its layerdb directory names)', () => {
    // `docker inspect --format '{{json .RootFS.Layers}}'` and `ls /var/lib/docker/image/overlay2/layerdb/sha256`
    // for `FROM busybox-rootfs` + two RUN layers, recorded from the private dockerd of the e2e setup.
    const diffIds = [
      'sha256:1fb3797d6dfeda30aab48ae4ff6b9b4caec961ce7189f5d23ffdb05d346e8ad1',
      'sha256:f8b293e9ac2bac27eb5bdf530a863d460657c112db2774da0a569b5e61158369',
      'sha256:62223febebb3716903f20940e5d889088a54062c8952654169572a2056cabf34',
    ];
    const layerdb = [
      'sha256:1fb3797d6dfeda30aab48ae4ff6b9b4caec961ce7189f5d23ffdb05d346e8ad1',
      'sha256:b14cf9a8be52b7ba196987e0bea22462240edae6f6169842769b15ff6539d906',
      'sha256:dc55634688c99e39ef9008a0c795f1142d837aac75b41ec721597f2386f7fc2b',
    ];
    expect(chainIdsOf(diffIds)).toEqual(layerdb);
  });
});

describe('layers', () => {
  it('unpacks through the injected unpacker, commits under layers/<chain-hex>, links l/<short> to diff/', async () => {
    const { unpack, calls } = countingUnpacker();
    const store = await freshStore({ unpack });
    const base = await makeLayer({ 'etc/hostname': 'base\n', 'bin/tool': '#!/bin/sh\n' });
    const top = await makeLayer({ 'etc/motd': 'hi\n' }, false);
    const { chainIds } = await storeImage(store, [base, top]);
    expect(calls()).toBe(2);
    const [c0, c1] = chainIds as [string, string];
    expect(c0).toBe(base.diffId);
    expect(c1).toBe(chainIdOf(base.diffId, top.diffId));
    const record = await store.layers.get(c1);
    expect(record).toEqual({
      diffId: top.diffId,
      chainId: c1,
      parent: c0,
      size: top.tar.length,
      blobs: [{ digest: top.digest, mediaType: top.mediaType, size: top.blob.length }],
    });
    expect(readFileSync(path.join(store.layers.diffDir(c0), 'etc/hostname'), 'utf8')).toBe('base\n');
    expect(readFileSync(path.join(store.layers.diffDir(c1), 'etc/motd'), 'utf8')).toBe('hi\n');
    const links = await store.layers.lowerLinks(c1);
    expect(links).toHaveLength(2);
    for (const link of links) expect(link).toMatch(/^l\/[A-Z2-7]{26}$/);
    expect(realpathSync(path.join(store.root, links[0] ?? ''))).toBe(store.layers.diffDir(c1));
    expect(readlinkSync(path.join(store.root, links[1] ?? ''))).toBe(`../layers/${c0.slice(7)}/diff`);
    expect((await store.layers.chain(c1)).map((r) => r.chainId)).toEqual([c1, c0]);
  });

  it('reuses a stored chain without unpacking again', async () => {
    const { unpack, calls } = countingUnpacker();
    const store = await freshStore({ unpack });
    const base = await makeLayer({ 'a.txt': 'a' });
    await storeImage(store, [base], { comment: 'one' });
    await storeImage(store, [base], { comment: 'two' });
    expect(calls()).toBe(1);
  });

  it('refuses a layer whose content does not match the promised diff ID, leaving no layer and no leftover', async () => {
    const store = await freshStore();
    const layer = await makeLayer({ 'a.txt': 'a' });
    await store.blobs.ingest({ digest: layer.digest }, () => streamOf(layer.blob));
    const wrong = sha256('not the diff');
    const attempt = store.layers.create({
      parent: undefined,
      blob: { digest: layer.digest, mediaType: layer.mediaType, size: layer.blob.length },
      expectedDiffId: wrong,
    });
    await expect(attempt).rejects.toThrow(
      `invalid diffID for layer ${layer.digest}: expected ${wrong}, got ${layer.diffId}`,
    );
    expect(readdirSync(store.paths.layersDir)).toEqual([]);
    expect(readdirSync(store.paths.linksDir)).toEqual([]);
  });

  it('refuses a layer on a parent that is not stored', async () => {
    const store = await freshStore();
    const layer = await makeLayer({ 'a.txt': 'a' });
    await store.blobs.ingest({ digest: layer.digest }, () => streamOf(layer.blob));
    const blob = { digest: layer.digest, mediaType: layer.mediaType, size: layer.blob.length };
    await expect(store.layers.create({ parent: sha256('nothing'), blob })).rejects.toThrow(/not stored/);
  });

  it('removes a layer by renaming it to -removing first, dropping its short link', async () => {
    const store = await freshStore();
    const layer = await makeLayer({ 'a.txt': 'a' });
    const { chainIds } = await storeImage(store, [layer]);
    const chainId = chainIds[0] ?? '';
    const [link] = await store.layers.lowerLinks(chainId);
    await store.layers.remove(chainId);
    expect(existsSync(store.paths.layer(chainId))).toBe(false);
    expect(existsSync(path.join(store.root, link ?? 'x'))).toBe(false);
    expect(readdirSync(store.paths.layersDir)).toEqual([]);
  });
});

describe('images and tags', () => {
  it('keeps the config byte-exact: the image ID is the sha256 of the bytes given', async () => {
    const store = await freshStore();
    const layer = await makeLayer({ 'a.txt': 'a' });
    // Unusual spacing and key order must survive: Docker hashes the bytes, not the data.
    const base = makeConfig([layer.diffId]).toString().replace('{', '{  ');
    const lease = await store.createLease('test');
    await store.blobs.ingest({ digest: layer.digest }, () => streamOf(layer.blob), { lease });
    const blob = { digest: layer.digest, mediaType: layer.mediaType, size: layer.blob.length };
    await store.layers.create({ parent: undefined, blob, expectedDiffId: layer.diffId, lease });
    const record = await store.images.put({ config: Buffer.from(base), layers: [blob], lease });
    expect(record.id).toBe(sha256(base));
    expect((await store.images.config(record.id)).bytes.toString()).toBe(base);
    expect(record.layers).toEqual([{ ...blob, diffId: layer.diffId }]);
  });

  it('refuses an image record whose layers are not stored', async () => {
    const store = await freshStore();
    const layer = await makeLayer({ 'a.txt': 'a' });
    const config = makeConfig([layer.diffId]);
    await expect(
      store.images.put({ config, layers: [{ digest: layer.digest, mediaType: layer.mediaType, size: 1 }] }),
    ).rejects.toThrow(/is not stored/);
    expect(await store.images.list()).toEqual([]);
  });

  it('normalises tags, resolves names and ID prefixes, and lists familiar tags', async () => {
    const store = await freshStore();
    const { id } = await storeImage(store, [await makeLayer({ 'a.txt': 'a' })], { tag: 'busybox' });
    await store.refs.set([{ name: 'localhost:5000/team/tool:1.0', id }]);
    expect(await store.refs.all()).toEqual({
      'docker.io/library/busybox:latest': id,
      'localhost:5000/team/tool:1.0': id,
    });
    for (const name of [
      'busybox',
      'busybox:latest',
      'docker.io/library/busybox',
      'index.docker.io/library/busybox:latest',
      id,
      id.slice(7, 19),
    ]) {
      expect(await store.refs.resolve(name)).toBe(id);
    }
    expect(await store.refs.tagsOf(id)).toEqual(['busybox:latest', 'localhost:5000/team/tool:1.0']);
    const summary = await store.summary(id);
    expect(summary).toMatchObject({
      id,
      tags: ['busybox:latest', 'localhost:5000/team/tool:1.0'],
      cmd: ['sh'],
      env: ['PATH=/usr/bin:/bin'],
    });
    expect(summary.size).toBeGreaterThan(0);
    expect(await store.refs.remove(['busybox'])).toEqual(['docker.io/library/busybox:latest']);
    expect(await store.refs.resolve('busybox')).toBeUndefined();
  });

  it('a damaged config blob: the summary reports it unhashed, the config read that things are made from refuses it', async () => {
    const store = await freshStore();
    const { id } = await storeImage(store, [await makeLayer({ 'a.txt': 'a' })], { tag: 'damaged' });
    const file = store.paths.blob(id);
    // Same length, different bytes: only a hash can tell.
    const damaged = readFileSync(file, 'utf8').replace('PATH=/usr/bin:/bin', 'PATH=/usr/bin:/xx');
    chmodSync(file, 0o644);
    writeFileSync(file, damaged);
    expect((await store.summary(id)).env).toEqual(['PATH=/usr/bin:/xx']);
    await expect(store.images.config(id)).rejects.toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
  });

  it('refuses invalid and digest references as tags, and tags to missing images', async () => {
    const store = await freshStore();
    expect(() => normalizeTag('BusyBox')).toThrow(/lowercase/);
    expect(() => normalizeTag(`busybox@${sha256('x')}`)).toThrow(/digest/);
    await expect(store.refs.set([{ name: 'busybox', id: sha256('none') }])).rejects.toThrow(
      /not in the store/,
    );
  });
});
