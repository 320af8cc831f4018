/** The user settings file is validated like devenv.yml. */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/diagnostic.js';
import { loadSettings, settingsPath, validateSettingsText } from '../../src/config/settings.js';
import { makeProject, removeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

describe('settings', () => {
  it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(settingsPath({}, '/home/u')).toBe('/home/u/.config/devenv/config.yml');
    expect(settingsPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/u')).toBe('/cfg/devenv/config.yml');
  });

  it('defaults when the file does not exist', async () => {
    const settings = await loadSettings('/nonexistent/config.yml');
    expect(settings).toMatchObject({
      runtime: 'auto',
      registryMirrors: {},
      insecureRegistries: [],
      proxy: 'inherit',
      dns: [],
      watch: { auto: false },
    });
  });

  it('accepts every documented field', () => {
    const result = validateSettingsText(
      'runtime: docker\nstorage: /ssd/devenv\nregistryMirrors: ["https://mirror.example"]\ninsecureRegistries: [localhost:5000]\nproxy: {http: "http://p:3128"}\ndns: [1.1.1.1]\nwatch: {auto: true}\n',
      'config.yml',
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.settings?.storage).toBe('/ssd/devenv');
    expect(result.settings?.watch.auto).toBe(true);
  });

  it('reports problems with positions and did-you-mean', async () => {
    const dir = makeProject({
      'config.yml': 'runtim: docker\nstorage: relative/dir\ninsecureRegistries: ["http://x"]\n',
    });
    dirs.push(dir);
    const error = (await loadSettings(path.join(dir, 'config.yml')).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.diagnostics.map((d) => [d.line, d.message])).toEqual([
      [1, 'unknown key "runtim" (did you mean "runtime"?)'],
      [2, 'storage must be an absolute path'],
      [3, 'a registry is host[:port], such as localhost:5000'],
    ]);
  });
});
