/**
 * COPY source hashes, bit-exact with Docker 20.10: every value below was read from
 * `docker history --no-trunc` of a classic build (`DOCKER_BUILDKIT=0`) of the same files.
 */
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/errors.js';
import { collectCopySources, copySourceHash, entryHash, goMatch } from '../../../src/image/build/index.js';
import type { CopyHashEntry } from '../../../src/image/build/index.js';

let context: string;

beforeAll(() => {
  context = mkdtempSync(path.join(os.tmpdir(), 'devenv-copy-hash-'));
  writeFileSync(path.join(context, 'f.txt'), 'one\n');
  chmodSync(path.join(context, 'f.txt'), 0o644);
  mkdirSync(path.join(context, 'd', 'sub'), { recursive: true });
  writeFileSync(path.join(context, 'd', 'a'), 'x');
  writeFileSync(path.join(context, 'd', 'sub', 'b'), 'yy');
  chmodSync(path.join(context, 'd'), 0o755);
  chmodSync(path.join(context, 'd', 'sub'), 0o755);
  chmodSync(path.join(context, 'd', 'a'), 0o600);
  chmodSync(path.join(context, 'd', 'sub', 'b'), 0o644);
  symlinkSync('f.txt', path.join(context, 'link'));
});

afterAll(() => {
  rmSync(context, { recursive: true, force: true });
});

const hashOf = async (...sources: string[]) =>
  copySourceHash(
    await collectCopySources(context, sources, { flavour: 'context', where: 'Dockerfile:3: COPY' }),
  );

describe('copySourceHash, build context', () => {
  it('hashes one file as Docker does (file:…)', async () => {
    expect(await hashOf('f.txt')).toBe(
      'file:46e6f95d28f51bd1edd0c48088a122aa657e16813267892b1590cfa3c152bfdd',
    );
    expect(await hashOf('/f.txt')).toBe(await hashOf('./f.txt'));
  });

  it('hashes a directory from every entry under it and itself (dir:…)', async () => {
    expect(await hashOf('d')).toBe('dir:192028af0cf1eccbcf48671243cc4a9cc592b2bfbfe09042b12ba007612d6f86');
  });

  it('hashes several sources in their order (multi:…)', async () => {
    expect(await hashOf('f.txt', 'd')).toBe(
      'multi:ea5b31c3b9937a636c9ca7b7468cf75bbfc729e4f028be951649c5c6a654cfae',
    );
    expect(await hashOf('d', 'f.txt')).not.toBe(await hashOf('f.txt', 'd'));
  });

  it('ignores times but not modes or contents', async () => {
    const before = await hashOf('d');
    chmodSync(path.join(context, 'd', 'a'), 0o644);
    const chmodded = await hashOf('d');
    chmodSync(path.join(context, 'd', 'a'), 0o600);
    expect(chmodded).not.toBe(before);
    expect(await hashOf('d')).toBe(before);
  });

  it('follows a top-level symlink inside the context', async () => {
    expect(await hashOf('link')).toBe(await hashOf('f.txt'));
  });

  it('expands wildcards with Go match rules, each match a source', async () => {
    const sources = await collectCopySources(context, ['d/*'], { flavour: 'context', where: 'x' });
    expect(sources.map((s) => s.entries[0]?.rel)).toEqual(['d/a', 'd/sub']);
    expect(await hashOf('f.t?t')).toBe(await hashOf('f.txt'));
  });

  it('leaves out what .dockerignore excludes, and treats an excluded source as missing', async () => {
    const ignored = (rel: string) => rel === 'd/a';
    const sources = await collectCopySources(context, ['d'], { flavour: 'context', where: 'x', ignored });
    expect(sources[0]?.entries.map((e) => e.rel)).toEqual(['d', 'd/sub', 'd/sub/b']);
    await expect(
      collectCopySources(context, ['d/a'], { flavour: 'context', where: 'x', ignored }),
    ).rejects.toThrow(DevenvError);
  });

  it.each([['nope.txt'], ['*.nothing'], ['[']])('refuses %s naming the instruction', async (source) => {
    const error = await collectCopySources(context, [source], {
      flavour: 'context',
      where: 'Dockerfile:3: COPY',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).message).toMatch(/^Dockerfile:3: COPY: /);
  });
});

describe('copySourceHash, a whole context with a hardlink', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'devenv-copy-root-'));
    const file = (rel: string, text: string, mode: number) => {
      writeFileSync(path.join(root, rel), text);
      chmodSync(path.join(root, rel), mode);
    };
    mkdirSync(path.join(root, 'd', 'sub'), { recursive: true });
    file('f.txt', 'one\n', 0o644);
    file('d/a', 'x', 0o600);
    linkSync(path.join(root, 'd', 'a'), path.join(root, 'd', 'hard'));
    file('d/sub/b', 'yy', 0o644);
    file('Dockerfile', 'FROM bbox:1\nCOPY . /ctx/\nCOPY d/* /w/\nCOPY d /x/\n', 0o644);
    chmodSync(path.join(root, 'd'), 0o755);
    chmodSync(path.join(root, 'd', 'sub'), 0o755);
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const hash = async (source: string) =>
    copySourceHash(await collectCopySources(root, [source], { flavour: 'context', where: 'x' }));

  it('matches docker build for COPY ., a wildcard and a directory holding a hardlink', async () => {
    expect(await hash('.')).toBe('dir:85ad33fcdb5089cbfd1bc45278496609fd3c070d82928347f35b3ed4c351025d');
    expect(await hash('d/*')).toBe('multi:803406cf943bb6c13219a51f93b66d924781a4654ec05810a44378825b596d8e');
    expect(await hash('d')).toBe('dir:c3762658738405ac7f11354d888b4fe61c2e3dcdf01226cf87f01505c2dcd6ba');
  });

  it("from devenv's own context tar: a second hardlink hashes as the file it is", async () => {
    const plain = async (source: string) =>
      copySourceHash(
        await collectCopySources(root, [source], { flavour: 'context', where: 'x', contextTar: 'devenv' }),
      );
    const copy = mkdtempSync(path.join(os.tmpdir(), 'devenv-copy-plain-'));
    mkdirSync(path.join(copy, 'd', 'sub'), { recursive: true });
    for (const [rel, text, mode] of [
      ['d/a', 'x', 0o600],
      ['d/hard', 'x', 0o600],
      ['d/sub/b', 'yy', 0o644],
    ] as const) {
      writeFileSync(path.join(copy, rel), text);
      chmodSync(path.join(copy, rel), mode);
    }
    chmodSync(path.join(copy, 'd'), 0o755);
    chmodSync(path.join(copy, 'd', 'sub'), 0o755);
    const separate = await copySourceHash(
      await collectCopySources(copy, ['d'], { flavour: 'context', where: 'x', contextTar: 'devenv' }),
    );
    expect(await plain('d')).toBe(separate);
    expect(await plain('d')).not.toBe(await hash('d'));
    rmSync(copy, { recursive: true, force: true });
  });
});

describe('copySourceHash, a stage root (COPY --from)', () => {
  // /w/rel (0755) and /w/rel/f.txt (0644, "one\n"), both owned 1:2, named daemon:bin on the machine.
  const owned = { uid: 1, gid: 2, uname: 'daemon', gname: 'bin' };
  const dir: CopyHashEntry = { rel: 'w/rel', type: 'dir', mode: 0o40755, size: 4096, ...owned };
  const file: CopyHashEntry = {
    rel: 'w/rel/f.txt',
    type: 'file',
    mode: 0o100644,
    size: 4,
    ...owned,
    contents: () => Buffer.from('one\n'),
  };

  it('hashes with type bits, owners and their names, as Docker does for files on disk', async () => {
    expect(await copySourceHash([{ entries: [dir, file] }], 'stage')).toBe(
      'dir:470519f31478ae85048530794cf242f6e1c1095cc7e8fad5ec5ea63252d83020',
    );
    expect(await copySourceHash([{ entries: [file] }], 'stage')).toBe(
      'file:95cd66d8cacea1af4a3cda8a017fac36ea97140afb1ea6f7d1937a784471d9a8',
    );
  });

  it('hashes the same entry differently as a context entry (owners 0:0, no names, no type bits)', async () => {
    expect(await entryHash(file, 'context')).not.toBe(await entryHash(file, 'stage'));
  });

  it('includes a file capability in the hash', async () => {
    const cap = Buffer.from('01000002002000000000000000000000000000', 'hex');
    expect(await entryHash({ ...file, capability: cap }, 'stage')).not.toBe(await entryHash(file, 'stage'));
  });
});

describe('goMatch', () => {
  it.each([
    ['*.txt', 'a.txt', true],
    ['*.txt', 'd/a.txt', false],
    ['d/*', 'd/a', true],
    ['?', 'a', true],
    ['?', '/', false],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['[^a-c]x', 'dx', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['a-b', 'a-b', true],
  ])('%s ~ %s: %s', (pattern, name, expected) => {
    expect(goMatch(pattern, name)).toBe(expected);
  });
});

describe("copySourceHash of a folder devenv's Docker runtime sent (its own context tar)", () => {
  it('matches what docker build recorded: bare folder names, a link hashed as its target, hardlinks as files', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'devenv-copy-devenv-'));
    mkdirSync(path.join(root, 'files', 'tree', 'nested'), { recursive: true });
    for (const dir of ['files', 'files/tree', 'files/tree/nested']) chmodSync(path.join(root, dir), 0o755);
    for (const [rel, text] of [
      ['files/tree/a.txt', 'a\n'],
      ['files/tree/nested/b.txt', 'b\n'],
      ['files/tree/pair-one', 'two names, one file\n'],
    ] as const) {
      writeFileSync(path.join(root, rel), text);
      chmodSync(path.join(root, rel), 0o644);
    }
    symlinkSync('a.txt', path.join(root, 'files/tree/link-to-a'));
    linkSync(path.join(root, 'files/tree/pair-one'), path.join(root, 'files/tree/pair-two'));
    const sources = await collectCopySources(root, ['files/tree'], {
      flavour: 'context',
      where: 'x',
      contextTar: 'devenv',
    });
    // `docker history` of a devenv build on Docker 20.10 of `copy: {src: ./files/tree, …}`.
    expect(await copySourceHash(sources, 'context')).toBe(
      'dir:7fcea35fe5be04f81993a9c101cb204f14cc6e40ec734e89213e5d9993f2a1fb',
    );
    rmSync(root, { recursive: true, force: true });
  });
});
