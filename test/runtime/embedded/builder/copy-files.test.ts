/**
 * COPY's rules on the embedded builder, on real files: what a folder, a file, a wildcard, a named
 * link and a hardlink pair become, who owns them, and that a link in the image never sends a write
 * out of the root.
 */
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyInto } from '../../../../src/runtime/embedded/builder/copy-files.js';
import type { FoundSource } from '../../../../src/runtime/embedded/builder/copy-files.js';
import { resolveOwner } from '../../../../src/runtime/embedded/builder/image-users.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';

/** The sources as the copy step hands them over: found, with their lstat. */
function findSources(root: string, rels: readonly string[]): FoundSource[] {
  return rels.map((rel) => ({ rel, full: path.join(root, rel), info: lstatSync(path.join(root, rel)) }));
}

const noRoot = skipUnless('copying with owners', { root: isRoot });

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'devenv-copy-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    if (name.endsWith('/')) mkdirSync(path.join(root, name), { recursive: true });
    else writeFileSync(path.join(root, name), content);
  }
  return root;
}

describe.skipIf(noRoot)('copyInto', () => {
  it('a folder copies its contents; a file into an existing folder keeps its name; modes, links and hardlinks as Docker copies them', async () => {
    const context = tree({ 'tools/run.sh': '#!/bin/sh\n', 'tools/a.txt': 'a\n', 'one.txt': 'one\n' });
    chmodSync(path.join(context, 'tools/run.sh'), 0o4755);
    symlinkSync('a.txt', path.join(context, 'tools/link'));
    linkSync(path.join(context, 'tools/a.txt'), path.join(context, 'tools/b.txt'));
    const image = tree({
      'etc/passwd': 'root:x:0:0::/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\n',
      'opt/': '',
    });
    const tools = findSources(context, ['tools']);
    await copyInto(image, tools, '/opt/tools', false, { keepOwner: false });
    expect(readFileSync(path.join(image, 'opt/tools/a.txt'), 'utf8')).toBe('a\n');
    expect(readlinkSync(path.join(image, 'opt/tools/link'))).toBe('a.txt');
    // As Docker does from the build context: owner set last (so setuid is lost), every file on its own.
    expect(statSync(path.join(image, 'opt/tools/run.sh')).mode & 0o7777).toBe(0o755);
    expect(statSync(path.join(image, 'opt/tools/b.txt')).ino).not.toBe(
      statSync(path.join(image, 'opt/tools/a.txt')).ino,
    );
    // From a stage: owners, setuid and hardlinks come across.
    await copyInto(image, tools, '/stage/tools', false, { keepOwner: true });
    expect(statSync(path.join(image, 'stage/tools/run.sh')).mode & 0o7777).toBe(0o4755);
    expect(statSync(path.join(image, 'stage/tools/b.txt')).ino).toBe(
      statSync(path.join(image, 'stage/tools/a.txt')).ino,
    );
    const one = findSources(context, ['one.txt']);
    await copyInto(image, one, '/opt', false, {
      owner: await resolveOwner(image, 'dev', 'x'),
      keepOwner: false,
    });
    const copied = lstatSync(path.join(image, 'opt/one.txt'));
    expect([copied.uid, copied.gid]).toEqual([1000, 1000]);
    await copyInto(image, one, '/new/dir/', true, { keepOwner: false, mode: 0o600 });
    expect(statSync(path.join(image, 'new/dir/one.txt')).mode & 0o777).toBe(0o600);
  });

  it('a link in the image to a host folder is followed inside the root, never out of it', async () => {
    const victim = mkdtempSync(path.join(os.tmpdir(), 'devenv-victim-'));
    const image = tree({ 'etc/passwd': '' });
    symlinkSync(victim, path.join(image, 'escape'));
    const context = tree({ 'x.txt': 'x\n' });
    await copyInto(image, findSources(context, ['x.txt']), '/escape/x.txt', false, { keepOwner: false });
    expect(() => statSync(path.join(victim, 'x.txt'))).toThrow();
    expect(readFileSync(path.join(image, victim.slice(1), 'x.txt'), 'utf8')).toBe('x\n');
  });

  it('--chown names a user or group the image lacks: an error naming it', async () => {
    const image = tree({
      'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
      'etc/group': 'root:x:0:\nstaff:x:50:\n',
    });
    await expect(resolveOwner(image, 'ghost', 'Dockerfile:7')).rejects.toThrow(
      "Dockerfile:7: unable to find user ghost: no matching entries in the image's /etc/passwd",
    );
    expect(await resolveOwner(image, 'root:staff', 'x')).toEqual({ uid: 0, gid: 50 });
    expect(await resolveOwner(image, '1000', 'x')).toEqual({ uid: 1000, gid: 1000 });
    await expect(resolveOwner(image, '1:nogroup', 'Dockerfile:8')).rejects.toThrow(
      'unable to find group nogroup',
    );
  });
});
