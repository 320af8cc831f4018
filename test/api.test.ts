/**
 * The package's public entry as another project imports it: `import … from 'devenv'` resolves
 * through package.json `exports` to the built dist/index.js (and its types), and loading, compiling
 * and opening a runtime work through it alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs an ES module script in the repository folder, where `devenv` names this package. */
async function script(source: string): Promise<string> {
  const result = await execa(process.execPath, ['--input-type=module', '-e', source], {
    cwd: root,
    reject: false,
  });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

describe('the public API', () => {
  it('package.json exports name files that the build writes', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
      exports: { '.': { types: string; default: string } };
    };
    expect(existsSync(`${root}/${pkg.exports['.'].default}`)).toBe(true);
    expect(existsSync(`${root}/${pkg.exports['.'].types}`)).toBe(true);
  });

  it('loads an example devenv.yml and compiles it to its golden Dockerfile', async () => {
    const out = await script(`
      import { compilePlan, loadConfig, loadFragments } from 'devenv';
      const loaded = await loadConfig({ cwd: 'examples/alpine', homeDir: '/home/dev' });
      const plan = compilePlan(loaded.config, {
        projectDir: loaded.projectDir,
        configFile: loaded.file,
        homeDir: '/home/dev',
        hostUser: { name: 'dev', uid: 1000, gid: 1000 },
        env: { DISPLAY: ':0' },
        stateDir: '/home/dev/.local/state/devenv/envs/alpine',
        fragments: await loadFragments(),
      });
      process.stdout.write(JSON.stringify({ name: plan.name, dockerfile: plan.image.dockerfile }));
    `);
    const { name, dockerfile } = JSON.parse(out) as { name: string; dockerfile: string };
    expect(name).toBe('alpine-shell');
    expect(dockerfile).toBe(readFileSync(`${root}/test/plan/__golden__/alpine.Dockerfile`, 'utf8'));
  });

  it('a broken devenv.yml is a ConfigError with its diagnostics; a runtime opens by name', async () => {
    const out = await script(`
      import { ConfigError, createRuntime, isDevenvError, loadConfig, loadSettings, settingsPath } from 'devenv';
      import { mkdtempSync, writeFileSync } from 'node:fs';
      import os from 'node:os';
      import path from 'node:path';
      const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-api-'));
      writeFileSync(path.join(dir, 'devenv.yml'), 'base: alpine\\npakages: [git]\\n');
      const error = await loadConfig({ cwd: dir, homeDir: os.homedir() }).catch((e) => e);
      const runtime = await createRuntime('docker', {
        env: { PATH: '/usr/bin:/bin' }, settings: await loadSettings(settingsPath({}, dir)), homeDir: os.homedir(), cwd: dir, uid: 0, arch: 'x64',
      });
      process.stdout.write(JSON.stringify({
        config: error instanceof ConfigError && isDevenvError(error),
        message: error.diagnostics.map((d) => d.message),
        runtime: runtime.name,
      }));
    `);
    expect(JSON.parse(out)).toEqual({
      config: true,
      message: ['unknown key "pakages" (did you mean "packages"?)'],
      runtime: 'docker',
    });
  });
});
