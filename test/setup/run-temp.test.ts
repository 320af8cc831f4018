import { mkdirSync, mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mountsUnder, removeRunTemp } from './run-temp.js';

describe("the run's temporary folder", () => {
  it('is where the tests make their temporary files', () => {
    // The global setup points TMPDIR at it; without that, a run leaves its files in /tmp.
    expect(path.basename(os.tmpdir())).toMatch(/^devenv-tests-/);
  });

  it('finds the mounts at and under a folder, not beside it, with escaped names decoded', () => {
    const table = [
      '22 1 8:1 / / rw - ext4 /dev/sda1 rw',
      '40 22 0:40 / /tmp/run rw - tmpfs tmpfs rw',
      '41 22 0:41 / /tmp/run/a\\040b rw - tmpfs tmpfs rw',
      '42 22 0:42 / /tmp/run-other rw - tmpfs tmpfs rw',
      '',
    ].join('\n');
    expect(mountsUnder('/tmp/run', table)).toEqual(['/tmp/run', '/tmp/run/a b']);
    expect(mountsUnder('/tmp/none', table)).toEqual([]);
  });

  it('is removed whole, and kept with a reason while something is mounted under it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'run-temp-'));
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'a', 'b', 'f'), 'x');
    const lines: string[] = [];
    removeRunTemp(dir, (line) => lines.push(line));
    expect(lines).toEqual([]);
    expect(existsSync(dir)).toBe(false);

    const mounted = mkdtempSync(path.join(os.tmpdir(), 'run-temp-'));
    const table = `40 22 0:40 / ${mounted}/store/overlay rw - overlay overlay rw\n`;
    removeRunTemp(
      mounted,
      (line) => lines.push(line),
      () => table,
    );
    expect(existsSync(mounted)).toBe(true);
    expect(lines).toEqual([
      expect.stringContaining(`under ${mounted}, so it is kept: ${mounted}/store/overlay`),
    ]);
  });
});
