/** Discovery: the search places, upward search, -f and -C, package.json, and clear not-found errors. */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/diagnostic.js';
import { findConfig, loadConfig } from '../../src/config/load.js';
import { DevenvError } from '../../src/errors.js';
import { makeProject, removeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});
function project(tree: Record<string, string | null>): string {
  const dir = makeProject(tree);
  dirs.push(dir);
  return dir;
}

describe('findConfig / loadConfig', () => {
  it.each(['devenv.yml', 'devenv.yaml', '.devenv.yml', '.config/devenv.yml'])('finds %s', async (place) => {
    const dir = project({ [place]: 'base: alpine\n' });
    const found = await findConfig({ cwd: dir, homeDir: '/nonexistent' });
    expect(found?.file).toBe(path.join(dir, place));
    expect(found?.projectDir).toBe(dir);
  });

  it('prefers devenv.yml over the other places', async () => {
    const dir = project({
      'devenv.yml': 'base: a\n',
      'devenv.yaml': 'base: b\n',
      '.devenv.yml': 'base: c\n',
    });
    expect((await findConfig({ cwd: dir, homeDir: '/nonexistent' }))?.file).toBe(
      path.join(dir, 'devenv.yml'),
    );
  });

  it('reads the devenv key of package.json, with positions inside package.json', async () => {
    const dir = project({
      'package.json':
        '{\n  "name": "app",\n  "devenv": {\n    "base": "node:20",\n    "pakages": []\n  }\n}\n',
    });
    await expect(loadConfig({ cwd: dir, homeDir: '/nonexistent' })).rejects.toSatisfy((error: unknown) => {
      const d = (error as ConfigError).diagnostics[0];
      return (
        error instanceof ConfigError &&
        d?.line === 5 &&
        d.col === 5 &&
        d.message.includes('did you mean "packages"')
      );
    });
  });

  it('skips a package.json without a devenv key', async () => {
    const dir = project({ 'package.json': '{"name": "x"}', 'sub/devenv.yml': 'base: alpine\n' });
    expect(await findConfig({ cwd: dir, homeDir: '/nonexistent' })).toBeUndefined();
  });

  it('searches upward from a subfolder, and -C starts elsewhere without searching up', async () => {
    const dir = project({ 'devenv.yml': 'base: alpine\n', 'src/deep/file.c': '' });
    const loaded = await loadConfig({ cwd: path.join(dir, 'src/deep'), homeDir: '/nonexistent' });
    expect(loaded.projectDir).toBe(dir);
    expect(loaded.config.base).toBe('alpine');
    expect(
      await findConfig({ cwd: '/', dir: path.join(dir, 'src'), homeDir: '/nonexistent' }),
    ).toBeUndefined();
  });

  it('-f loads exactly that file, relative to the working directory', async () => {
    const dir = project({ 'envs/ci.yml': 'name: ci\nbase: alpine\n' });
    const loaded = await loadConfig({ cwd: dir, file: 'envs/ci.yml', homeDir: '/nonexistent' });
    expect(loaded.config.name).toBe('ci');
    expect(loaded.projectDir).toBe(path.join(dir, 'envs'));
  });

  it('explains how to create a config when there is none, with exit status 2', async () => {
    const dir = project({ README: '' });
    const error = await loadConfig({ cwd: dir, homeDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).message).toBe(`no devenv.yml in ${dir} or the folders above it`);
    expect((error as DevenvError).hint).toContain('devenv init');
    expect((error as DevenvError).exitCode).toBe(2);
  });

  it('names a missing -f file', async () => {
    const error = (await loadConfig({ cwd: '/tmp', file: 'nope.yml', homeDir: '/x' }).catch(
      (e: unknown) => e,
    )) as DevenvError;
    expect(error.message).toBe('/tmp/nope.yml does not exist');
  });

  it('does not follow $import keys (discovery only finds the file)', async () => {
    const dir = project({
      'devenv.yml': '$import: ./other.yml\nbase: alpine\n',
      'other.yml': 'packages: [x]\n',
    });
    const error = (await loadConfig({ cwd: dir, homeDir: '/x' }).catch((e: unknown) => e)) as ConfigError;
    expect(error.diagnostics[0]?.message).toContain('unknown key "$import"');
  });

  it('stops at the home folder: a devenv.yml above home is not found', async () => {
    const dir = project({ 'devenv.yml': 'base: alpine\n', 'home/me/work/x': '' });
    const home = path.join(dir, 'home/me');
    expect(await findConfig({ cwd: path.join(home, 'work'), homeDir: home })).toBeUndefined();
    expect((await findConfig({ cwd: path.join(home, 'work'), homeDir: '/nonexistent' }))?.file).toBe(
      path.join(dir, 'devenv.yml'),
    );
  });

  it('takes a readable place over an unreadable one, and names an unreadable one when it is the only one', async () => {
    if (process.getuid?.() === 0) return; // root reads every file
    const dir = project({
      'devenv.yml': 'base: a\n',
      '.devenv.yml': 'base: b\n',
      'only/devenv.yaml': 'base: c\n',
    });
    chmodSync(path.join(dir, 'devenv.yml'), 0);
    chmodSync(path.join(dir, 'only/devenv.yaml'), 0);
    expect((await findConfig({ cwd: dir, homeDir: dir }))?.file).toBe(path.join(dir, '.devenv.yml'));
    const error = await loadConfig({ cwd: path.join(dir, 'only'), homeDir: dir }).catch((e: unknown) => e);
    expect((error as DevenvError).message).toContain(`cannot read ${path.join(dir, 'only/devenv.yaml')}`);
  });

  it('names a package.json that is not JSON', async () => {
    const dir = project({ 'package.json': '{"name": ' });
    const error = await findConfig({ cwd: dir, homeDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).message).toContain(`${path.join(dir, 'package.json')} is not valid JSON`);
  });

  it('finds a folder named devenv.yml as nothing, and a .config/devenv.yml project at the folder above .config', async () => {
    const dir = project({ 'devenv.yml/x': '', '.config/devenv.yml': 'base: alpine\n' });
    const found = await findConfig({ cwd: dir, homeDir: dir });
    expect(found).toEqual({ file: path.join(dir, '.config/devenv.yml'), projectDir: dir, prefix: [] });
  });
});
