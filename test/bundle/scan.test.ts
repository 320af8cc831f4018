/**
 * The header-only look at an archive that decides whether `load` has a bundle in hand: devenv/
 * entries are found wherever they sit, bodies are stepped over (a plain image archive is not read
 * twice), and a damaged, duplicated or missing file is refused as the full scan refuses it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holdsDevenvEntries } from '../../src/bundle/scan.js';
import { tarFileHeaders } from '../../src/image/layer/tar-file-headers.js';
import { makeTar } from '../runtime/embedded/layers/helpers/fixtures.js';
import { cleanupDirs, tempDir } from '../runtime/embedded/store/helpers/fixtures.js';

afterAll(cleanupDirs);

async function tarFile(entries: Parameters<typeof makeTar>[0]): Promise<string> {
  const file = path.join(tempDir(), 'archive.tar');
  writeFileSync(file, await makeTar(entries));
  return file;
}

const layer = 'x'.repeat(3 * 1024 * 1024 + 7);

describe('tarFileHeaders', () => {
  it('lists every entry, long names included, stepping over bodies', async () => {
    const long = `${'d/'.repeat(80)}file`;
    const file = await tarFile([
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/big', content: layer },
      { name: long, content: 'a' },
      { name: 'manifest.json', content: '[]' },
    ]);
    const seen: [string, number][] = [];
    for await (const header of tarFileHeaders(file)) seen.push([header.name, header.size]);
    expect(seen).toEqual([
      ['blobs/', 0],
      ['blobs/big', layer.length],
      [long, 1],
      ['manifest.json', 2],
    ]);
  });

  it('a body that runs past the end of the file is a truncated archive', async () => {
    const whole = await makeTar([{ name: 'big', content: layer }]);
    const file = path.join(tempDir(), 'cut.tar');
    writeFileSync(file, whole.subarray(0, 4096));
    await expect(
      (async () => {
        const names: string[] = [];
        for await (const header of tarFileHeaders(file)) names.push(header.name);
        return names;
      })(),
    ).rejects.toThrow(/truncated/);
  });
});

describe('holdsDevenvEntries', () => {
  it('an image archive has none; a devenv/ entry after a large layer is found', async () => {
    expect(
      await holdsDevenvEntries(
        await tarFile([
          { name: 'l/layer.tar', content: layer },
          { name: 'manifest.json', content: '[]' },
        ]),
      ),
    ).toBe(false);
    expect(
      await holdsDevenvEntries(
        await tarFile([
          { name: 'l/layer.tar', content: layer },
          { name: './devenv/volumes/work.tar', content: 'v' },
        ]),
      ),
    ).toBe(true);
  });

  it('refuses a name given twice, a damaged archive and a missing file, naming the file', async () => {
    const twice = await tarFile([
      { name: 'manifest.json', content: '[]' },
      { name: './manifest.json', content: '[{}]' },
    ]);
    await expect(holdsDevenvEntries(twice)).rejects.toThrow(`manifest.json appears twice in the archive`);
    const junk = path.join(tempDir(), 'junk.tar');
    writeFileSync(junk, Buffer.alloc(2048, 'j'));
    await expect(holdsDevenvEntries(junk)).rejects.toMatchObject({
      code: 'DEVENV_BUNDLE_INVALID',
      message: expect.stringContaining(junk) as unknown,
    });
    await expect(holdsDevenvEntries(junk)).rejects.toThrow(/not a readable tar archive/);
    const missing = path.join(tempDir(), 'none.tar');
    await expect(holdsDevenvEntries(missing)).rejects.toMatchObject({
      code: 'DEVENV_NOT_FOUND',
      message: `${missing} does not exist`,
    });
  });
});
