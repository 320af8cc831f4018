/**
 * Which mirror a bootstrap base comes from: `mirror:` first, else the Debian (or Ubuntu) archive of
 * the host's apt sources in either file format, never a security or third-party repository; Ubuntu
 * without a known archive is a config error asking for `mirror:`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DEBIAN_MIRROR,
  chooseMirror,
  mirrorFromSources,
  parseDeb822Sources,
  parseOneLineSources,
  readAptSources,
} from '../../../src/runtime/bootstrap/apt-sources.js';
import { DevenvError } from '../../../src/errors.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A Debian 12 cloud image's deb822 file: the archive after a snapshot comment, then security. */
const DEBIAN_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.test/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.test/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

/** Third-party repositories that reuse the codename or the keyring's look. */
const THIRD_PARTY = `Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Signed-By: /usr/share/keyrings/nodesource.gpg
`;

const UBUNTU_LIST = `# See http://help.ubuntu.com/community/UpgradeNotes
deb-src http://src.example.test/ubuntu jammy main
deb [arch=amd64 signed-by=/usr/share/keyrings/docker.gpg] https://download.docker.com/linux/ubuntu jammy stable
deb http://security.ubuntu.com/ubuntu jammy-security main restricted
deb [arch=amd64] http://ubuntu.mirror.example.test/ubuntu/ jammy main restricted universe # the archive
`;

function aptDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-apt-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('apt sources', () => {
  it('reads deb822 stanzas and picks the Debian archive, not security, without the trailing slash', () => {
    const sources = parseDeb822Sources(DEBIAN_SOURCES, 'debian.sources');
    expect(sources.map((s) => s.uris[0])).toEqual([
      'http://mirror.example.test/debian/',
      'http://mirror.example.test/debian-security',
    ]);
    expect(mirrorFromSources(sources, 'debian')).toBe('http://mirror.example.test/debian');
    expect(mirrorFromSources(sources, 'ubuntu')).toBeUndefined();
  });

  it('reads one-line entries with options and comments, skipping deb-src, security and third-party repositories', () => {
    const sources = parseOneLineSources(UBUNTU_LIST, 'sources.list');
    expect(sources).toHaveLength(3);
    expect(sources[0]?.signedBy).toBe('/usr/share/keyrings/docker.gpg');
    expect(mirrorFromSources(sources, 'ubuntu')).toBe('http://ubuntu.mirror.example.test/ubuntu');
    expect(mirrorFromSources(sources, 'debian')).toBeUndefined();
  });

  it('skips disabled stanzas and ones without deb', () => {
    const text = DEBIAN_SOURCES.replace('Types: deb\n#', 'Types: deb\nEnabled: no\n#');
    expect(mirrorFromSources(parseDeb822Sources(text, 'x'), 'debian')).toBeUndefined();
    const src = DEBIAN_SOURCES.replace('Types: deb\n#', 'Types: deb-src\n#');
    expect(mirrorFromSources(parseDeb822Sources(src, 'x'), 'debian')).toBeUndefined();
  });

  it('reads sources.list, then sources.list.d/*.list and *.sources by name', async () => {
    const dir = aptDir({
      'sources.list': '# empty but for this comment\n',
      'sources.list.d/a-nodesource.sources': THIRD_PARTY,
      'sources.list.d/debian.sources': DEBIAN_SOURCES,
      'sources.list.d/ubuntu.list': UBUNTU_LIST,
      'sources.list.d/ignored.list.disabled': 'deb http://other.example.test/debian bookworm main\n',
    });
    const sources = await readAptSources(dir);
    expect(sources.map((s) => path.basename(s.file))).toEqual([
      'a-nodesource.sources',
      'debian.sources',
      'debian.sources',
      'ubuntu.list',
      'ubuntu.list',
      'ubuntu.list',
    ]);
    expect(mirrorFromSources(sources, 'debian')).toBe('http://mirror.example.test/debian');
    expect(mirrorFromSources(sources, 'ubuntu')).toBe('http://ubuntu.mirror.example.test/ubuntu');
    expect(await readAptSources(path.join(dir, 'missing'))).toEqual([]);
  });

  it('chooses mirror: first, then the host archive, then deb.debian.org for Debian', () => {
    const host = parseDeb822Sources(DEBIAN_SOURCES, 'debian.sources');
    expect(chooseMirror('debian', 'bookworm', 'http://given.example.test/debian/', host)).toBe(
      'http://given.example.test/debian',
    );
    expect(chooseMirror('debian', 'trixie', undefined, host)).toBe('http://mirror.example.test/debian');
    expect(chooseMirror('debian', 'bookworm', undefined, [])).toBe(DEFAULT_DEBIAN_MIRROR);
  });

  it('asks for mirror: when Ubuntu has no archive among the host sources', () => {
    const host = parseDeb822Sources(DEBIAN_SOURCES, 'debian.sources');
    let caught: unknown;
    try {
      chooseMirror('ubuntu', 'jammy', undefined, host);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DevenvError);
    const error = caught as DevenvError;
    expect(error.code).toBe('DEVENV_CONFIG_INVALID');
    expect(error.message).toContain('ubuntu:jammy');
    expect(error.message).toContain('no Ubuntu archive');
    expect(error.hint).toContain('base.mirror');
  });
});
