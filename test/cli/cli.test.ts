/**
 * The built CLI as users run it: exit statuses (2 for usage and config errors), nothing on stdout but
 * the result, one JSON document with --json, and init/validate/plan/export/schema end to end.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devenv } from '../helpers/cli.js';
import { makeProject, removeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});
function project(tree: Record<string, string | null> = {}): string {
  const dir = makeProject(tree, 'devenv-cli-');
  dirs.push(dir);
  return dir;
}

// Each test starts the built CLI, which takes seconds on a loaded 2-core machine.
describe('devenv CLI', { timeout: 120_000 }, () => {
  it('--version and --help', async () => {
    const version = await devenv(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await devenv(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Commands:');
    expect(help.stdout).toContain('  validate ');
    expect(help.stdout).toContain('  watch ');
    const planHelp = await devenv(['plan', '--help']);
    expect(planHelp.stdout).toContain('--run-args');
  });

  it('usage errors exit 2 with a hint and nothing on stdout', async () => {
    const unknown = await devenv(['valdiate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('unknown command "valdiate" (did you mean "validate"?)');
    const option = await devenv(['plan', '--bogus'], { cwd: project({ 'devenv.yml': 'base: alpine\n' }) });
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toContain('unknown option --bogus');
    const extra = await devenv(['watch', 'web'], { cwd: project({ 'devenv.yml': 'base: alpine\n' }) });
    expect(extra.exitCode).toBe(2);
    expect(extra.stderr).toContain('unexpected argument web');
  });

  it('init writes a commented devenv.yml that validates, and refuses to overwrite it', async () => {
    const dir = project();
    const init = await devenv(['init', '--template', 'debian', '--name', 'demo'], { cwd: dir });
    expect(init.exitCode).toBe(0);
    const text = readFileSync(path.join(dir, 'devenv.yml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*devenv\.schema\.json\n/);
    expect(text).toContain('name: demo');
    expect((await devenv(['validate'], { cwd: dir })).exitCode).toBe(0);
    const again = await devenv(['init'], { cwd: dir });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('already exists');
    const bad = await devenv(['init', '--template', 'gentoo'], { cwd: project() });
    expect(bad.stderr).toContain('choose one of: alpine, arch, debian, embedded, fedora, ubuntu');
  });

  it('init vends the schema into the project and names it by a path that holds in any clone', async () => {
    const dir = project();
    expect((await devenv(['init', '--name', 'demo'], { cwd: dir })).exitCode).toBe(0);
    const text = readFileSync(path.join(dir, 'devenv.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./.devenv/devenv.schema.json');
    const shipped = readFileSync(new URL('../../devenv.schema.json', import.meta.url), 'utf8');
    expect(readFileSync(path.join(dir, '.devenv/devenv.schema.json'), 'utf8')).toBe(shipped);
    // With -f elsewhere, the schema goes next to that file; --force refreshes a stale copy.
    writeFileSync(path.join(dir, '.devenv/devenv.schema.json'), '{}');
    mkdirSync(path.join(dir, 'sub')); // init writes into a folder, it does not make one
    const other = await devenv(['init', '-f', 'sub/devenv.yml', '--name', 'other'], { cwd: dir });
    expect(other.exitCode, other.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'sub/devenv.yml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\/\.devenv\/devenv\.schema\.json\n/,
    );
    expect(readFileSync(path.join(dir, 'sub/.devenv/devenv.schema.json'), 'utf8')).toBe(shipped);
    expect((await devenv(['init', '--name', 'demo', '--force'], { cwd: dir })).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, '.devenv/devenv.schema.json'), 'utf8')).toBe(shipped);
  });

  it('validate reports every problem with file:line:col and exits 2', async () => {
    const dir = project({ 'devenv.yml': 'base: ubuntu\npakages: [git]\nnetwork: bridged\n' });
    const result = await devenv(['validate'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'devenv.yml:2:1: error: pakages: unknown key "pakages" (did you mean "packages"?)',
    );
    expect(result.stderr).toContain(
      'devenv.yml:3:10: error: network: "bridged" is not one of "host", "private", "none"',
    );
    expect(result.stderr).toContain('2 problems found; nothing was changed');
  });

  it('--json prints exactly one JSON document on stdout, for results and for errors', async () => {
    const good = await devenv(['validate', '--json'], {
      cwd: project({ 'devenv.yml': 'name: j\nbase: alpine\n' }),
    });
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, name: 'j' });
    const bad = await devenv(['--json', 'validate'], { cwd: project({ 'devenv.yml': 'base: [\n' }) });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      outcome: 'error',
      code: 'DEVENV_CONFIG_INVALID',
      diagnostics: [expect.objectContaining({ file: 'devenv.yml' })],
    });
  });

  it('plan prints the Dockerfile, the run args, or JSON without proxy values', async () => {
    const dir = project({
      'devenv.yml': 'name: p\nbase: alpine\npackages: [git]\nproxy: {http: "http://u:CANARY@p:1"}\n',
    });
    const dockerfile = await devenv(['plan', '--dockerfile'], { cwd: dir });
    expect(dockerfile.stdout.split('\n')[0]).toBe(
      '# Generated by devenv from devenv.yml; edit devenv.yml instead of this file.',
    );
    expect(dockerfile.stdout).toContain('RUN apk add --no-cache git');
    const args = await devenv(['plan', '--run-args'], { cwd: dir });
    expect(args.stdout.startsWith('docker run --name p ')).toBe(true);
    const json = await devenv(['plan', '--json'], { cwd: dir });
    expect(json.stdout).not.toContain('CANARY');
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'p',
      runArgs: expect.arrayContaining(['docker', 'run']),
      digests: { image: expect.stringMatching(/^sha256:/) },
    });
    expect((await devenv(['plan', '--dockerfile', '--run-args'], { cwd: dir })).exitCode).toBe(2);
  });

  it('export writes Dockerfile and an executable run.sh, and refuses to clobber a foreign Dockerfile', async () => {
    const dir = project({ 'devenv.yml': 'name: e\nbase: alpine\nmounts: [".:/src"]\n' });
    const result = await devenv(['export', 'out'], { cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(existsSync(path.join(dir, 'out/Dockerfile'))).toBe(true);
    const script = readFileSync(path.join(dir, 'out/run.sh'), 'utf8');
    expect(script).toContain('--mount type=bind,source="$project",target=/src');
    expect(script).not.toContain(dir);
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    const clobber = await devenv(['export', '.'], { cwd: dir });
    expect(clobber.exitCode).toBe(2);
    expect(clobber.stderr).toContain('exists and was not written by devenv');
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
  });

  it('schema prints the committed JSON schema', async () => {
    const result = await devenv(['schema']);
    expect(JSON.parse(result.stdout)).toEqual(
      JSON.parse(readFileSync(new URL('../../devenv.schema.json', import.meta.url), 'utf8')),
    );
  });

  it('a config that is not found says how to make one', async () => {
    const result = await devenv(['plan'], { cwd: project(), env: { HOME: os.tmpdir() } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('run "devenv init" to write one');
  });
});
