/**
 * The invariant checker and repair (docs/reliability.md, C6, C7, P2): a healthy store
 * checks clean; each kind of damage a crash or a bad disk leaves is reported with its path, and
 * repair makes the store clean again, quarantining corrupt state files under names it reports.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStore, openStore, repairStore } from '../../../../src/runtime/embedded/store/index.js';
import type { IssueKind, Store } from '../../../../src/runtime/embedded/store/index.js';
import { cleanupDirs, freshStore, makeLayer, storeImage, tempDir } from './helpers/fixtures.js';
import { tarUnpacker } from './helpers/tar-unpacker.js';

afterAll(cleanupDirs);

/** A pid that no longer exists (our own children exit at once). */
const deadPid = 2 ** 22 - 7;
const deadOwner = JSON.stringify({ pid: deadPid, startTime: '1', createdAt: 0 });

async function healthyStore(): Promise<{ store: Store; id: string; chainIds: string[] }> {
  const store = await freshStore();
  const base = await makeLayer({ 'etc/hostname': 'x\n' });
  const top = await makeLayer({ 'etc/motd': 'hi\n' });
  const { id, chainIds } = await storeImage(store, [base, top], { tag: 'app:1' });
  return { store, id, chainIds };
}

function kinds(report: { issues: { kind: IssueKind }[] }): IssueKind[] {
  return [...new Set(report.issues.map((issue) => issue.kind))].sort();
}

describe('checkStore', () => {
  it('calls a healthy store clean', async () => {
    const { store } = await healthyStore();
    expect(await checkStore(store.root)).toEqual({ root: store.root, issues: [], clean: true });
  });

  const damages: [string, IssueKind[], (s: Store, id: string, chainIds: string[]) => void][] = [
    [
      'a blob whose content changed',
      ['broken-image', 'corrupt-blob', 'dangling-ref'],
      (s, id) => {
        chmodSync(s.blobs.path(id), 0o644);
        writeFileSync(s.blobs.path(id), '{"tampered":true}');
      },
    ],
    [
      'a file under blobs/ without a digest name',
      ['stray-file'],
      (s) => {
        writeFileSync(path.join(s.paths.blobsDir, 'notadigest'), 'x');
      },
    ],
    [
      'refs.json that is not JSON',
      ['corrupt-state'],
      (s) => {
        writeFileSync(s.paths.refsFile, '{"version":1,"refs":');
      },
    ],
    [
      'an image record that fails the schema',
      ['corrupt-state', 'dangling-ref'],
      (s, id) => {
        writeFileSync(s.paths.image(id), '{"id":"nope"}');
      },
    ],
    [
      'a tag whose image is gone',
      ['dangling-ref'],
      (s, id) => {
        unlinkSync(s.paths.image(id));
      },
    ],
    [
      'a layer marked incomplete by its metadata',
      ['broken-image', 'broken-layer', 'dangling-ref'],
      (s, _id, chainIds) => {
        // containers/storage cleanup-layer.bats injects "incomplete" into the layer record the same way.
        writeFileSync(
          path.join(s.paths.layer(chainIds[1] ?? ''), 'layer.json'),
          '{"flags":{"incomplete":true}}',
        );
      },
    ],
    // The deleted layer's short link dangles too.
    [
      'a layer whose parent is missing',
      ['broken-image', 'broken-layer', 'dangling-ref', 'leftover'],
      (s, _id, chainIds) => {
        rmSync(s.paths.layer(chainIds[0] ?? ''), { recursive: true });
      },
    ],
    [
      'a layer without its short link',
      ['missing-link'],
      (s) => {
        for (const name of readdirSync(s.paths.linksDir)) unlinkSync(path.join(s.paths.linksDir, name));
      },
    ],
    [
      'an incomplete layer whose process died',
      ['leftover'],
      (s) => {
        const dir = path.join(s.paths.layersDir, 'incomplete-0123456789abcdef');
        mkdirSync(path.join(dir, 'diff'), { recursive: true });
        writeFileSync(path.join(dir, 'owner.json'), deadOwner);
      },
    ],
    [
      'a half-removed layer',
      ['leftover'],
      (s) =>
        mkdirSync(path.join(s.paths.layersDir, `${'a'.repeat(64)}-removing-0123abcd`, 'diff'), {
          recursive: true,
        }),
    ],
    [
      'an ingest whose process died',
      ['leftover'],
      (s) => {
        const dir = path.join(s.paths.ingestDir, 'b'.repeat(64));
        mkdirSync(dir);
        writeFileSync(path.join(dir, 'data'), 'partial');
        writeFileSync(path.join(dir, 'owner.json'), deadOwner);
      },
    ],
    [
      'a scratch dir whose process died',
      ['leftover'],
      (s) => {
        mkdirSync(path.join(s.paths.tmpDir, 'import-1'));
        writeFileSync(path.join(s.paths.tmpDir, 'import-1', 'owner.json'), deadOwner);
      },
    ],
    [
      'the temp file of an interrupted metadata write',
      ['leftover'],
      (s) => {
        writeFileSync(path.join(s.paths.imagesDir, `.x.json.${deadPid}.0123abcd.tmp`), '{');
      },
    ],
    [
      'a lease of a dead process',
      ['leftover'],
      (s) => {
        const lease = {
          id: 'abc',
          owner: JSON.parse(deadOwner) as unknown,
          expiresAt: Date.now() + 1e6,
          blobs: [],
          layers: [],
          images: [],
        };
        writeFileSync(path.join(s.paths.leasesDir, 'abc.json'), JSON.stringify(lease));
      },
    ],
    [
      'a corrupt lease',
      ['corrupt-state'],
      (s) => {
        writeFileSync(path.join(s.paths.leasesDir, 'bad.json'), 'garbage');
      },
    ],
    [
      'a dangling short link',
      ['leftover'],
      (s) => {
        symlinkSync(
          `../layers/${'c'.repeat(64)}/diff`,
          path.join(s.paths.linksDir, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
        );
      },
    ],
  ];

  it.each(damages)('finds %s, and repair makes the store clean', async (_name, expected, damage) => {
    const { store, id, chainIds } = await healthyStore();
    damage(store, id, chainIds);
    const report = await checkStore(store.root);
    expect(report.clean).toBe(false);
    expect(kinds(report)).toEqual(expected);
    for (const issue of report.issues) expect(issue.message.length).toBeGreaterThan(10);
    const repaired = await repairStore(store.root);
    expect(repaired.remaining).toEqual([]);
    expect(repaired.clean).toBe(true);
    expect(repaired.actions.length).toBeGreaterThan(0);
    expect((await checkStore(store.root)).clean).toBe(true);
  });

  it('quarantines a corrupt state file under a name it reports, and keeps a copy', async () => {
    const { store } = await healthyStore();
    writeFileSync(store.paths.refsFile, 'not json');
    const repaired = await repairStore(store.root);
    const action = repaired.actions.find((a) => a.startsWith(`quarantined ${store.paths.refsFile}`)) ?? '';
    const kept = /as (\S+):/.exec(action)?.[1] ?? '';
    expect(kept).toMatch(/\/quarantine\/.*refs\.json$/);
    expect(existsSync(kept)).toBe(true);
    expect(existsSync(store.paths.refsFile)).toBe(false);
  });

  it('a store with a damaged image loses only that image: the other one and its tag stay', async () => {
    const { store, id } = await healthyStore();
    const other = await storeImage(store, [await makeLayer({ 'other.txt': 'o' })], { tag: 'other:1' });
    unlinkSync(store.blobs.path(id));
    await repairStore(store.root);
    expect(await store.refs.all()).toEqual({ 'docker.io/library/other:1': other.id });
    expect(await store.images.list()).toEqual([other.id]);
  });

  it('reports a container whose image is gone, which repair leaves to the user', async () => {
    const { store } = await healthyStore();
    mkdirSync(path.join(store.paths.containersDir, 'c1'), { recursive: true });
    writeFileSync(
      path.join(store.paths.containersDir, 'c1', 'config.json'),
      JSON.stringify({ image: 'missing:1' }),
    );
    const report = await checkStore(store.root);
    expect(report.issues).toMatchObject([
      { kind: 'container', message: expect.stringContaining('container c1 uses image missing:1') as unknown },
    ]);
    expect((await repairStore(store.root)).remaining).toHaveLength(1);
  });

  it('ignores what a live operation is doing: an ingest owned by this process is no leftover', async () => {
    const { store } = await healthyStore();
    const dir = path.join(store.paths.ingestDir, 'd'.repeat(64));
    mkdirSync(dir);
    const { currentOwner } = await import('../../../../src/runtime/embedded/store/owner.js');
    writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(await currentOwner(Date.now())));
    expect((await checkStore(store.root)).clean).toBe(true);
    // …until its lease time has passed.
    expect((await checkStore(store.root, { now: () => Date.now() + 25 * 3600_000 })).issues).toMatchObject([
      { kind: 'leftover' },
    ]);
  });

  it('opening a store finishes what dead processes left (C7)', async () => {
    const { store } = await healthyStore();
    const removing = path.join(store.paths.layersDir, `${'e'.repeat(64)}-removing-0123abcd`);
    mkdirSync(removing);
    const reopened = await openStore({ root: store.root, unpack: tarUnpacker });
    expect(existsSync(removing)).toBe(false);
    expect((await checkStore(reopened.root)).clean).toBe(true);
  });
});

describe('store root safety (P1, P2)', () => {
  it('refuses a root that is a symlink, naming the real path', async () => {
    const real = path.join(tempDir(), 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = path.join(tempDir(), 'link');
    symlinkSync(real, link);
    await expect(openStore({ root: link })).rejects.toThrow(`the store root ${link} is a symbolic link`);
    expect((await checkStore(link)).issues).toMatchObject([{ kind: 'unsafe-root', path: link }]);
  });

  it('refuses a root behind a symlinked parent', async () => {
    const real = tempDir();
    const link = path.join(tempDir(), 'parent');
    symlinkSync(real, link);
    await expect(openStore({ root: path.join(link, 'store') })).rejects.toThrow(
      /lies behind a symbolic link/,
    );
  });

  it('refuses a group- or world-writable root and says how to fix it', async () => {
    const root = path.join(tempDir(), 'store');
    mkdirSync(root);
    chmodSync(root, 0o777);
    await expect(openStore({ root })).rejects.toMatchObject({
      code: 'DEVENV_PERMISSION_DENIED',
      message: expect.stringContaining(`${root} is writable by group or others (mode 777)`) as unknown,
      hint: `Run: chmod 0700 ${root}`,
    });
  });

  it('refuses a parent others can write without the sticky bit', async () => {
    const parent = tempDir();
    chmodSync(parent, 0o777);
    await expect(openStore({ root: path.join(parent, 'store') })).rejects.toThrow(
      /world-writable without the sticky bit/,
    );
    chmodSync(parent, 0o700);
  });

  it('creates a missing root private (0700) and refuses to open a moved store', async () => {
    const root = path.join(tempDir(), 'new', 'store');
    const store = await openStore({ root });
    const { statSync } = await import('node:fs');
    expect(statSync(root).mode & 0o777).toBe(0o700);
    writeFileSync(path.join(store.root, 'moved.json'), JSON.stringify({ to: '/elsewhere' }));
    await expect(openStore({ root })).rejects.toThrow(`the store at ${root} was moved to /elsewhere`);
  });
});
