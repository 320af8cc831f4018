/**
 * The go-archive testBreakout oracle: a victim directory with random content beside the destination
 * must stay byte-identical, and no file in the destination may share an inode with a host file.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { treeListing } from './tree.js';

/** Host files no layer may link to or change. */
const HOST_CANARIES = ['/etc/passwd', '/etc/shadow', '/etc/hostname'];

/** A victim tree at `dir/victim`; returns a check to run after the extraction. */
export async function plantVictim(
  dir: string,
): Promise<{ victim: string; check: (dest?: string) => Promise<void> }> {
  const victim = path.join(dir, 'victim');
  await mkdir(path.join(victim, 'sub'), { recursive: true });
  await writeFile(path.join(victim, 'hello'), randomBytes(64));
  await writeFile(path.join(victim, 'sub', 'deep'), randomBytes(64));
  const before = await treeListing(victim, { mtimes: true, root: true });
  const hostBefore = await Promise.all(HOST_CANARIES.map((file) => fingerprint(file)));
  const check = async (dest?: string) => {
    expect(await treeListing(victim, { mtimes: true, root: true })).toEqual(before);
    expect(await Promise.all(HOST_CANARIES.map((file) => fingerprint(file)))).toEqual(hostBefore);
    if (dest === undefined) return;
    const host = new Set<string>();
    for (const file of [...HOST_CANARIES, path.join(victim, 'hello'), path.join(victim, 'sub', 'deep')]) {
      const info = await lstat(file).catch(() => undefined);
      if (info !== undefined) host.add(`${info.dev}:${info.ino}`);
    }
    for (const file of await nonDirectories(dest)) {
      const info = await lstat(file);
      expect(host.has(`${info.dev}:${info.ino}`), `${file} shares an inode with a host file`).toBe(false);
    }
  };
  return { victim, check };
}

async function fingerprint(file: string): Promise<string> {
  const info = await lstat(file).catch(() => undefined);
  return info === undefined ? 'missing' : `${info.ino} ${info.mode} ${info.size} ${info.mtimeMs}`;
}

async function nonDirectories(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await nonDirectories(full)));
    else out.push(full);
  }
  return out;
}

/** Asserts that an aborted apply left nothing: no final directory and no temp directory beside it. */
export async function expectNothingLeft(target: string): Promise<void> {
  expect(await lstat(target).catch(() => undefined)).toBeUndefined();
  const siblings = await readdir(path.dirname(target));
  expect(siblings.filter((name) => name.startsWith(`${path.basename(target)}.tmp-`))).toEqual([]);
}
