/**
 * The image tree helper of the parity tests reads what it is given: layers applied in order with
 * whiteouts and opaque directories, hardlinks grouped, binary `security.capability` values kept
 * byte for byte, long names, and config facts; and its diff names the paths that differ.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { TarWriter } from '../../src/image/layer/tar-writer.js';
import type { TarHeader } from '../../src/image/layer/tar-header.js';
import { readImageArchive, treeDifferences } from './image-tree.js';

type Entry = TarHeader & { body?: string };

async function layer(entries: readonly Entry[]): Promise<Buffer> {
  const out = new PassThrough();
  const bytes = buffer(out);
  const writer = new TarWriter(out);
  for (const { body, ...header } of entries) {
    const data = Buffer.from(body ?? '');
    await writer.add({ ...header, size: header.type === 'file' ? data.length : 0 }, Readable.from([data]));
  }
  await writer.finish();
  return bytes;
}

const dir = (name: string, mode = 0o755): Entry => ({ name, type: 'directory', mode, size: 0 });
const file = (name: string, body: string, extra: Partial<Entry> = {}): Entry => ({
  name,
  type: 'file',
  mode: 0o644,
  size: 0,
  body,
  ...extra,
});

/** A docker-save archive of one image with `layers` and `config` (rootfs and history filled in). */
async function archive(layers: Buffer[], config: Record<string, unknown>): Promise<string> {
  const pack = tar.pack();
  const names = layers.map((_, i) => `layer${i}/layer.tar`);
  const fullConfig = {
    architecture: 'amd64',
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${createHashHex(l)}`) },
    history: [
      ...layers.map((_, i) => ({ created_by: `step ${i}` })),
      { created_by: 'CMD', empty_layer: true },
    ],
  };
  pack.entry({ name: 'config.json' }, JSON.stringify(fullConfig));
  layers.forEach((l, i) => pack.entry({ name: names[i] ?? '' }, l));
  pack.entry(
    { name: 'manifest.json' },
    JSON.stringify([{ Config: 'config.json', RepoTags: ['t/x:1'], Layers: names }]),
  );
  pack.finalize();
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'image-tree-')), 'image.tar');
  writeFileSync(file, await buffer(pack));
  return file;
}

const createHashHex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

// VFS_CAP_REVISION_2 with the effective flag; a permitted byte above 0x7f, which UTF-8 decoding mangles.
const CAPABILITY = Buffer.from('0100000200ff00000000000000000000000000000000', 'hex');

describe('readImageArchive', () => {
  it('applies layers with whiteouts, opaque directories, hardlinks and binary xattrs', async () => {
    const long = `deep/${'n'.repeat(120)}/leaf`;
    const lower = await layer([
      dir('etc'),
      file('etc/keep', 'kept\n'),
      file('etc/gone', 'removed later\n'),
      dir('opaque'),
      file('opaque/hidden', 'hidden by an opaque dir\n'),
      dir('deep'),
      dir(`deep/${'n'.repeat(120)}`),
      file(long, 'long name\n', { uid: 1234, gid: 2345 }),
    ]);
    const upper = await layer([
      { name: 'etc/.wh.gone', type: 'file', mode: 0o644, size: 0 },
      dir('opaque', 0o700),
      { name: 'opaque/.wh..wh..opq', type: 'file', mode: 0o644, size: 0 },
      file('opaque/new', 'new\n'),
      file('bin-tool', 'tool', { mode: 0o4755, xattrs: [['security.capability', CAPABILITY]] }),
      { name: 'bin-alias', type: 'link', mode: 0o4755, size: 0, linkname: 'bin-tool' },
      { name: 'link', type: 'symlink', mode: 0o777, size: 0, linkname: 'etc/keep' },
    ]);
    const facts = await readImageArchive(
      await archive([lower, upper], { User: '1000', Cmd: ['sh'], ExposedPorts: { '80/tcp': {} } }),
    );
    expect([...facts.tree.keys()]).toEqual([
      'bin-alias',
      'bin-tool',
      'deep',
      `deep/${'n'.repeat(120)}`,
      long,
      'etc',
      'etc/keep',
      'link',
      'opaque',
      'opaque/new',
    ]);
    expect(facts.tree.get('opaque')).toMatch(/^dir 700 0:0 /);
    expect(facts.tree.get(long)).toMatch(/^file 644 1234:2345 10 /);
    expect(facts.tree.get('bin-tool')).toBe(
      `file 4755 0:0 4 ${createHashHex(Buffer.from('tool'))}  security.capability=${CAPABILITY.toString('hex')} hardlinked with bin-alias`,
    );
    expect(facts.tree.get('link')).toBe('symlink 777 0:0 0  etc/keep ');
    expect(facts.layers.map((l) => l.paths.length)).toEqual([8, 7]);
    expect(facts.config).toMatchObject({
      User: '1000',
      Cmd: ['sh'],
      Entrypoint: null,
      ExposedPorts: ['80/tcp'],
      layers: 2,
    });
    expect(facts.config.history.at(-1)).toEqual({ createdBy: 'CMD', emptyLayer: true });
  });

  it('names the differing paths with both lines', () => {
    const left = new Map([
      ['a', 'file 644 0:0 1 x  '],
      ['b', 'dir 755 0:0 0   '],
    ]);
    const right = new Map([
      ['a', 'file 4755 0:0 1 x  '],
      ['c', 'dir 755 0:0 0   '],
    ]);
    expect(treeDifferences(left, right)).toEqual([
      'a:\n    file 644 0:0 1 x  \n <> file 4755 0:0 1 x  ',
      'b:\n    dir 755 0:0 0   \n <> (absent)',
      'c:\n    (absent)\n <> dir 755 0:0 0   ',
    ]);
  });
});
