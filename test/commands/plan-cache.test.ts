/**
 * The plan cache on real files: a full load stores what it produced, the next command uses it, and
 * every change the key covers (devenv.yml, the settings file, a proxy variable, devenv's version), a
 * COPY source, a truncated, altered or foreign cache file each make the next command load in full.
 * A hit is told apart from a full load by forging the stored plan with a valid checksum: only a
 * command that trusts the cache can return the forged tag.
 */
import { quickHash } from '../../src/util/quick-hash.js';
import { readFileSync, readdirSync, utimesSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/commands/args.js';
import type { CommandContext } from '../../src/commands/command.js';
import { loadCachedProject } from '../../src/commands/project-cache.js';
import { inputsDigest } from '../../src/engine/image.js';
import { planCacheDir, planCacheFile } from '../../src/engine/plan-cache.js';
import { PlainOutput } from '../../src/ui/plain/output.js';
import { makeProject, removeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

const CONFIG =
  'name: cached\nbase: alpine:3.20\nenv: { A: "1" }\nsteps:\n  - copy: { src: ./stuff, dest: /opt/stuff }\n';

/** Sets the times of `paths` a minute back, so their stat is old enough to be trusted. */
function settle(...paths: string[]): void {
  const past = new Date(Date.now() - 60_000);
  for (const p of paths) utimesSync(p, past, past);
}

function fixture(config = CONFIG): { dir: string; home: string } {
  const dir = makeProject({ 'devenv.yml': config, 'stuff/a': 'hello\n', 'stuff/b': 'world\n' });
  const home = makeProject({ '.config/devenv': null });
  dirs.push(dir, home);
  settle(path.join(dir, 'stuff/a'), path.join(dir, 'stuff/b'), path.join(dir, 'stuff'));
  return { dir, home };
}

function context(
  cwd: string,
  home: string,
  options: { env?: Record<string, string>; version?: string; argv?: string[] } = {},
): CommandContext {
  const sink = new PassThrough();
  return {
    cwd,
    env: options.env ?? {},
    homeDir: home,
    hostUser: { name: 'me', uid: 1000, gid: 1000 },
    arch: 'x64',
    platform: 'linux',
    stdin: new PassThrough(),
    version: options.version ?? '1.0.0',
    signal: new AbortController().signal,
    out: new PlainOutput({ stdout: sink, stderr: sink }, false),
    args: parseCommandLine([...(options.argv ?? []), 'status'], {}),
  };
}

function cacheFileOf(ctx: CommandContext, configFile: string): string {
  return planCacheFile(planCacheDir(ctx.env, ctx.homeDir), configFile);
}

/** Rewrites the stored entry with `edit` applied and a checksum that matches: a forged cache. */
function forge(
  file: string,
  edit: (body: { key: Record<string, unknown>; entry: Record<string, unknown> }) => void,
): void {
  const raw = readFileSync(file, 'utf8');
  const body = JSON.parse(raw.slice(raw.indexOf('\n') + 1)) as {
    key: Record<string, unknown>;
    entry: Record<string, unknown>;
  };
  edit(body);
  const text = JSON.stringify(body);
  writeFileSync(file, `${quickHash(text)}\n${text}`);
}

/** Forges the stored image tag; a command that trusts the cache returns it. */
function forgeTag(file: string): void {
  forge(file, (body) => {
    const plan = body.entry['plan'] as { image: { tag: string } };
    plan.image.tag = 'forged:tag';
  });
}

async function tagOf(ctx: CommandContext): Promise<string> {
  return (await loadCachedProject(ctx)).project.plan.image.tag;
}

describe('plan cache', () => {
  it('a full load stores the plan, and the next command uses it as it was', async () => {
    const { dir, home } = fixture();
    const ctx = context(dir, home);
    const full = await loadCachedProject(ctx);
    const file = cacheFileOf(ctx, path.join(dir, 'devenv.yml'));
    expect(readdirSync(path.dirname(file))).toContain(path.basename(file));
    const hit = await loadCachedProject(ctx);
    expect(hit.project.plan).toEqual(JSON.parse(JSON.stringify(full.project.plan)));
    expect(hit.settings).toEqual(full.settings);
    expect(hit.configRuntime).toBe(full.configRuntime);
    expect(hit.project.stateDir).toBe(full.project.stateDir);
    expect(hit.project.configText).toBe(CONFIG);
    forgeTag(file);
    expect(await tagOf(ctx)).toBe('forged:tag');
  });

  it('sees an edit to devenv.yml on the next command, even one that keeps its size', async () => {
    const { dir, home } = fixture();
    const ctx = context(dir, home);
    await loadCachedProject(ctx);
    const file = cacheFileOf(ctx, path.join(dir, 'devenv.yml'));
    forgeTag(file);
    const config = path.join(dir, 'devenv.yml');
    const before = readFileSync(config, 'utf8');
    writeFileSync(config, before.replace('A: "1"', 'A: "2"'));
    // Same size and the old mtime back: the ctime and the content hash still tell.
    settle(config);
    const loaded = await loadCachedProject(ctx);
    expect(loaded.project.plan.image.tag).not.toBe('forged:tag');
    expect(loaded.project.plan.run.env['A']).toBe('2');
  });

  it('sees an edit to the settings file, and a settings file that appears', async () => {
    const { dir, home } = fixture();
    const ctx = context(dir, home);
    const settingsFile = path.join(home, '.config/devenv/config.yml');
    await loadCachedProject(ctx);
    forgeTag(cacheFileOf(ctx, path.join(dir, 'devenv.yml')));
    writeFileSync(settingsFile, 'runtime: docker\n');
    settle(settingsFile);
    const first = await loadCachedProject(ctx);
    expect(first.project.plan.image.tag).not.toBe('forged:tag');
    expect(first.settings.runtime).toBe('docker');
    forgeTag(cacheFileOf(ctx, path.join(dir, 'devenv.yml')));
    expect(await tagOf(ctx)).toBe('forged:tag');
    writeFileSync(settingsFile, 'runtime: embedded\n');
    const second = await loadCachedProject(ctx);
    expect(second.project.plan.image.tag).not.toBe('forged:tag');
    expect(second.settings.runtime).toBe('embedded');
  });

  it('sees a changed proxy variable, devenv version or host user', async () => {
    const { dir, home } = fixture();
    const file = cacheFileOf(context(dir, home), path.join(dir, 'devenv.yml'));
    const variants = [
      context(dir, home, { env: { HTTPS_PROXY: 'http://proxy.example:3128' } }),
      context(dir, home, { env: { https_proxy: 'http://other.example:3128' } }),
      context(dir, home, { version: '1.0.1' }),
      { ...context(dir, home), hostUser: { name: 'me', uid: 1001, gid: 1000 } },
    ];
    await loadCachedProject(context(dir, home));
    for (const ctx of variants) {
      forgeTag(file);
      expect(await tagOf(ctx)).not.toBe('forged:tag');
    }
    // A variable no plan reads is not part of the key.
    forgeTag(file);
    expect(await tagOf({ ...variants[3]!, env: { TERM: 'dumb' } })).toBe('forged:tag');
  });

  it('never copies a proxy password into the cache, from the environment or the settings file', async () => {
    const { dir, home } = fixture();
    const secret = 'pa55-in-proxy';
    const ctx = context(dir, home, { env: { HTTPS_PROXY: `http://me:${secret}@proxy.example:3128` } });
    const loaded = await loadCachedProject(ctx);
    expect(Object.values(loaded.project.plan.run.secretEnv).join(' ')).toContain(secret);
    await loadCachedProject(ctx);
    writeFileSync(
      path.join(home, '.config/devenv/config.yml'),
      `proxy: { http: "http://me:${secret}@proxy.example:3128" }\n`,
    );
    settle(path.join(home, '.config/devenv/config.yml'));
    const viaSettings = context(dir, home);
    await loadCachedProject(viaSettings);
    await loadCachedProject(viaSettings);
    const cacheDir = planCacheDir(ctx.env, home);
    const texts = readdirSync(cacheDir).map((name) => readFileSync(path.join(cacheDir, name), 'utf8'));
    expect(texts.filter((text) => text.includes(secret))).toEqual([]);
  });

  it('ignores a truncated, altered, other-format or foreign cache file', async () => {
    const a = fixture();
    const b = fixture(CONFIG.replace('name: cached', 'name: other'));
    const ctxA = context(a.dir, a.home);
    const ctxB = context(b.dir, a.home);
    await loadCachedProject(ctxA);
    await loadCachedProject(ctxB);
    const fileA = cacheFileOf(ctxA, path.join(a.dir, 'devenv.yml'));
    const fileB = cacheFileOf(ctxB, path.join(b.dir, 'devenv.yml'));

    forgeTag(fileA);
    const whole = readFileSync(fileA, 'utf8');
    writeFileSync(fileA, whole.slice(0, Math.floor(whole.length / 2)));
    expect(await tagOf(ctxA)).toBe('devenv/cached:latest');

    forgeTag(fileA);
    writeFileSync(fileA, readFileSync(fileA, 'utf8').replace('"name":"cached"', '"name":"cachex"'));
    expect(await tagOf(ctxA)).toBe('devenv/cached:latest');

    forge(fileA, (body) => {
      (body as unknown as { format: number }).format = 999;
      (body.entry['plan'] as { image: { tag: string } }).image.tag = 'forged:tag';
    });
    expect(await tagOf(ctxA)).toBe('devenv/cached:latest');

    // A's entry put where B's belongs: its key names A's devenv.yml, so B loads its own.
    forgeTag(fileA);
    copyFileSync(fileA, fileB);
    expect(await tagOf(ctxB)).toBe('devenv/other:latest');
    // and the full load wrote B's entry back
    expect(readFileSync(fileB, 'utf8')).toContain('"name":"other"');
  });

  it('keeps the inputs digest while the COPY sources stat the same, and recomputes it when one changes', async () => {
    const { dir, home } = fixture();
    const ctx = context(dir, home);
    const full = await loadCachedProject(ctx);
    const digest = await inputsDigest(full.project);
    let computed = 0;
    const counting = async (): Promise<string> => {
      const loaded = await loadCachedProject(ctx);
      const remember = loaded.project.rememberInputs!;
      return remember(async () => {
        computed += 1;
        return inputsDigest({ ...loaded.project, rememberInputs: undefined });
      });
    };
    expect(await counting()).toBe(digest);
    expect(computed).toBe(0);

    writeFileSync(path.join(dir, 'stuff/a'), 'HELLO\n'); // same size
    settle(path.join(dir, 'stuff/a'));
    const edited = await counting();
    expect(computed).toBe(1);
    expect(edited).not.toBe(digest);
    expect(await counting()).toBe(edited);
    expect(computed).toBe(1);

    writeFileSync(path.join(dir, 'stuff/c'), 'new\n');
    settle(path.join(dir, 'stuff/c'), path.join(dir, 'stuff'));
    const added = await counting();
    expect(computed).toBe(2);
    expect(added).not.toBe(edited);

    // A forged digest with the right stats is what a hit returns: the stats are what is trusted,
    // which is why any change to them (above) forces the hash.
    forge(cacheFileOf(ctx, path.join(dir, 'devenv.yml')), (body) => {
      (body.entry['inputs'] as { digest: string }).digest = 'sha256:forged';
    });
    expect(await counting()).toBe('sha256:forged');
  });

  it('does not remember a digest over a file written just now', async () => {
    const { dir, home } = fixture();
    const ctx = context(dir, home);
    await loadCachedProject(ctx);
    mkdirSync(path.join(dir, 'stuff/new'));
    let computed = 0;
    for (let i = 0; i < 2; i++) {
      const loaded = await loadCachedProject(ctx);
      await loaded.project.rememberInputs!(async () => {
        computed += 1;
        return inputsDigest({ ...loaded.project, rememberInputs: undefined });
      });
    }
    expect(computed).toBe(2);
  });
});
