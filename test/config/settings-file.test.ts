/** `storage move` records the new store in the settings file: one key changes, everything else stays byte for byte. */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { updateSettingsFile, withSetting } from '../../src/config/settings-file.js';
import { makeProject, removeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});
function dir(): string {
  const made = makeProject({}, 'devenv-settings-');
  dirs.push(made);
  return made;
}

const COMMENTED = [
  '# yaml-language-server: $schema=./settings.schema.json',
  '# my machine',
  'runtime: embedded   # the default runtime',
  '',
  '# mirrors for Docker Hub',
  'registryMirrors: ["http://mirror.example:5000"]',
  'insecureRegistries:',
  '  - registry.lan:5000',
  '',
].join('\n');

describe('withSetting', () => {
  it('appends a missing key and leaves every other byte alone', () => {
    expect(withSetting(COMMENTED, 'storage', '/mnt/ssd/devenv')).toBe(
      `${COMMENTED}storage: /mnt/ssd/devenv\n`,
    );
    expect(withSetting('runtime: docker', 'storage', '/x')).toBe('runtime: docker\nstorage: /x\n');
  });

  it('replaces an existing value in place, keeping its comment', () => {
    const text = `${COMMENTED}storage: /old/place # moved here in 2025\ndns: [1.1.1.1]\n`;
    expect(withSetting(text, 'storage', '/new/place')).toBe(
      `${COMMENTED}storage: /new/place # moved here in 2025\ndns: [1.1.1.1]\n`,
    );
    expect(withSetting('storage: "/quoted"\n', 'storage', '/plain')).toBe('storage: /plain\n');
  });

  it('writes a new file from nothing, or from comments only', () => {
    expect(withSetting('', 'storage', '/x')).toBe('storage: /x\n');
    expect(withSetting('# nothing yet\n', 'storage', '/x')).toBe('# nothing yet\nstorage: /x\n');
  });

  it('quotes a value YAML would read as something else', () => {
    const text = withSetting('', 'storage', '/data/a: b #c');
    expect(text).not.toBe('storage: /data/a: b #c\n');
    expect(text).toContain('storage:');
    expect(withSetting(text, 'storage', '/data/a: b #c')).toBe(text);
  });

  it('falls back to the Document API for a flow map, keeping the other keys', () => {
    const text = withSetting('{runtime: docker, dns: [8.8.8.8]}\n', 'storage', '/x');
    expect(text).toContain('runtime: docker');
    expect(text).toContain('storage: /x');
  });
});

describe('updateSettingsFile', () => {
  it('creates the folder and the file, readable by loadSettings', async () => {
    const file = path.join(dir(), 'cfg', 'devenv', 'config.yml');
    await updateSettingsFile(file, 'storage', '/srv/devenv');
    expect((await loadSettings(file)).storage).toBe('/srv/devenv');
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it('keeps comments, other keys and the file mode; leaves no temp file', async () => {
    const base = dir();
    const file = path.join(base, 'config.yml');
    writeFileSync(file, COMMENTED, { mode: 0o600 });
    await updateSettingsFile(file, 'storage', '/mnt/ssd/devenv');
    expect(readFileSync(file, 'utf8')).toBe(`${COMMENTED}storage: /mnt/ssd/devenv\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(base)).toEqual(['config.yml']);
    const settings = await loadSettings(file);
    expect(settings).toMatchObject({ runtime: 'embedded', storage: '/mnt/ssd/devenv' });
  });

  it('refuses to write a value the schema rejects, and an invalid file, changing nothing', async () => {
    const base = dir();
    const file = path.join(base, 'config.yml');
    await expect(updateSettingsFile(file, 'storage', 'relative/path')).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
      message: expect.stringContaining('storage must be an absolute path'),
    });
    expect(existsSync(file)).toBe(false);
    mkdirSync(base, { recursive: true });
    writeFileSync(file, 'runtme: docker\n');
    await expect(updateSettingsFile(file, 'storage', '/x')).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
    });
    expect(readFileSync(file, 'utf8')).toBe('runtme: docker\n');
  });
});
