/**
 * Finding the toolbox's loader without `ldd`: the interpreter an ELF file names in its program
 * headers, checked against what the host's `ldd` reports for the same file, and nothing for a static
 * binary, a text file, or an ELF file whose headers point past its end.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { elfInterpreter } from '../../../../src/runtime/embedded/sandbox/toolbox.js';
import { cleanupDirs, tempDir } from '../store/helpers/fixtures.js';
import { BUSYBOX, hasBusybox } from './helpers/rootfs.js';

afterEach(cleanupDirs);

/** The loader `ldd` names for `file`: its line with a path and no arrow. */
function lddLoader(file: string): string | undefined {
  const out = execFileSync('ldd', [file], { encoding: 'utf8' });
  return /^\s*(\/\S+)\s+\(/m.exec(out)?.[1];
}

describe('elfInterpreter', () => {
  it("names the loader ldd names for the host's node and setpriv", async () => {
    for (const file of [process.execPath, '/usr/bin/setpriv']) {
      const expected = lddLoader(file);
      expect(expected).toMatch(/^\//);
      expect(await elfInterpreter(file)).toBe(expected);
    }
  });

  it.skipIf(!hasBusybox)('names none for a static binary', async () => {
    expect(await elfInterpreter(BUSYBOX)).toBeUndefined();
  });

  it('names none for a text file, a cut-off ELF file, or program headers past the end', async () => {
    const dir = tempDir();
    const text = path.join(dir, 'text');
    writeFileSync(text, '#!/bin/sh\necho hi\n');
    const elf = readFileSync('/usr/bin/setpriv');
    const cut = path.join(dir, 'cut');
    writeFileSync(cut, elf.subarray(0, 40));
    const far = path.join(dir, 'far');
    const bent = Buffer.from(elf.subarray(0, 4096));
    bent.writeBigUInt64LE(0x7fff_ffffn, 0x20); // e_phoff far beyond the file
    writeFileSync(far, bent);
    for (const file of [text, cut, far]) expect(await elfInterpreter(file)).toBeUndefined();
  });
});
