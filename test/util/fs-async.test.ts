/**
 * src/util/fs-async.ts makes node:fs's callback calls into promises without util.promisify. These
 * hold each one to what node:fs/promises (or util.promisify, where fs/promises has no such call)
 * answers for the same call: the same value, and the same error (code, syscall, path, message).
 */
import * as fsCallbacks from 'node:fs';
import * as fsp from 'node:fs/promises';
import { closeSync, mkdtempSync, openSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import * as fsAsync from '../../src/util/fs-async.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-fs-async-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const file = path.join(dir, 'file.txt');
writeFileSync(file, 'hello\n');
const missing = path.join(dir, 'missing', 'nothing.txt');

/** What a promise settled with, errors reduced to what a caller reads from them. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise;
    if (value instanceof fsCallbacks.Stats) return { stats: { ino: value.ino, size: value.size } };
    return { value };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return {
      error: {
        name: e.name,
        code: e.code,
        errno: e.errno,
        syscall: e.syscall,
        path: e.path,
        message: e.message,
      },
    };
  }
}

describe('the promise forms of node:fs calls', () => {
  const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    ['stat of a file', () => fsAsync.stat(file), () => fsp.stat(file)],
    ['stat of a missing path', () => fsAsync.stat(missing), () => fsp.stat(missing)],
    ['lstat of a missing path', () => fsAsync.lstat(missing), () => fsp.lstat(missing)],
    ['readFile as text', () => fsAsync.readFile(file, 'utf8'), () => fsp.readFile(file, 'utf8')],
    ['readFile of a missing path', () => fsAsync.readFile(missing), () => fsp.readFile(missing)],
    ['readFile of a folder', () => fsAsync.readFile(dir), () => fsp.readFile(dir)],
    ['readdir', () => fsAsync.readdir(dir), () => fsp.readdir(dir)],
    ['access for reading', () => fsAsync.access(file, fsAsync.constants.R_OK), () => fsp.access(file)],
    ['access of a missing path', () => fsAsync.access(missing), () => fsp.access(missing)],
    ['mkdir of an existing folder', () => fsAsync.mkdir(dir), () => fsp.mkdir(dir)],
    [
      'mkdir -p of an existing folder',
      () => fsAsync.mkdir(dir, { recursive: true }),
      () => fsp.mkdir(dir, { recursive: true }),
    ],
    ['realpath', () => fsAsync.realpath(dir), () => fsp.realpath(dir)],
    ['realpath of a missing path', () => fsAsync.realpath(missing), () => fsp.realpath(missing)],
    ['readlink of a file', () => fsAsync.readlink(file), () => fsp.readlink(file)],
    ['rename of a missing path', () => fsAsync.rename(missing, file), () => fsp.rename(missing, file)],
    ['unlink of a missing path', () => fsAsync.unlink(missing), () => fsp.unlink(missing)],
    [
      'rm -f of a missing path',
      () => fsAsync.rm(missing, { force: true }),
      () => fsp.rm(missing, { force: true }),
    ],
    [
      'open of a missing path',
      () => fsAsync.openDescriptor(missing, 'r'),
      () => promisify(fsCallbacks.open)(missing, 'r'),
    ],
  ];
  for (const [what, ours, theirs] of cases) {
    it(`${what}: what node:fs/promises answers`, async () => {
      const expected = await outcome(theirs());
      expect(await outcome(ours())).toEqual(expected);
    });
  }

  it('reads and writes through descriptors', async () => {
    const target = path.join(dir, 'written.txt');
    await fsAsync.writeFile(target, 'written\n', { mode: 0o600 });
    const fd = await fsAsync.openDescriptor(target, 'r');
    try {
      expect((await fsAsync.fstat(fd)).size).toBe(8);
      expect((await fsAsync.readDescriptor(fd)).toString()).toBe('written\n');
    } finally {
      await fsAsync.close(fd);
    }
    // A closed descriptor is refused as node:fs refuses it.
    expect(await outcome(fsAsync.close(fd))).toEqual(await outcome(promisify(fsCallbacks.close)(fd)));
    expect(realpathSync(target)).toBe(await fsAsync.realpath(target));
  });

  it('gives a call exactly the arguments it was given, its callback last', async () => {
    const fd = openSync(file, 'r');
    try {
      // fs.readFile with a descriptor reads from the descriptor's offset; an extra argument would
      // have been taken for the options and failed.
      expect((await fsAsync.readDescriptor(fd)).toString()).toBe('hello\n');
    } finally {
      closeSync(fd);
    }
  });
});
