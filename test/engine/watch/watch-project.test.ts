/**
 * The project watch on real files in a temp folder, with a short quiet period; the drift side runs on
 * the in-memory runtime.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { up } from '../../../src/engine/up.js';
import { watchProject } from '../../../src/engine/watch/index.js';
import type { ProjectWatch, WatchVerdict } from '../../../src/engine/watch/index.js';
import { cleanupFixtures, engineFixture, UP_DETACHED } from '../../helpers/engine-fixture.js';
import type { EngineFixture } from '../../helpers/engine-fixture.js';

const QUIET_MS = 400;
/** Long enough for a batch to be judged after its quiet period on a busy machine. */
const SETTLE_MS = 1500;

const watches: ProjectWatch[] = [];
afterEach(async () => {
  for (const w of watches.splice(0)) await w.close();
  cleanupFixtures();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An environment that is up, and a watch on its project collecting verdicts. */
async function watching(
  name: string,
  lines: readonly string[] = [],
  files: Record<string, string> = {},
): Promise<{ f: EngineFixture; verdicts: WatchVerdict[]; errors: unknown[]; yml: string }> {
  const f = await engineFixture(name, lines, files);
  await up(f.context(), f.project, UP_DETACHED);
  const verdicts: WatchVerdict[] = [];
  const errors: unknown[] = [];
  const yml = path.join(f.dir, 'devenv.yml');
  watches.push(
    await watchProject({
      projectDir: f.dir,
      configFile: yml,
      project: f.project,
      loadProject: () => f.reload(),
      runtime: f.runtime,
      onVerdict: (v) => verdicts.push(v),
      onError: (e) => errors.push(e),
      quietMs: QUIET_MS,
    }),
  );
  return { f, verdicts, errors, yml };
}

/**
 * Waits until `verdicts` holds `count` verdicts, then a little longer to catch any extra one. The
 * wait is long: on a loaded machine, judging a thousand files (chokidar's events, then hashing them)
 * has taken over ten seconds.
 */
async function settle(verdicts: WatchVerdict[], count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (verdicts.length < count && Date.now() < deadline) await sleep(50);
  await sleep(SETTLE_MS);
}

/** vim's save: a write test file, a swap file, the new text under a temporary name renamed over the file. */
function vimSave(file: string, text: string): void {
  const dir = path.dirname(file);
  writeFileSync(path.join(dir, '4913'), '');
  rmSync(path.join(dir, '4913'));
  writeFileSync(path.join(dir, `.${path.basename(file)}.swp`), 'swap');
  const temp = path.join(dir, `${path.basename(file)}.tmp`);
  writeFileSync(temp, text);
  renameSync(temp, file);
}

describe('watchProject', () => {
  it('gives one recreate verdict for a rename-save, and keeps seeing the file after it', async () => {
    const { verdicts, yml, f } = await watching('watch-rename');
    const text = (extra: string) =>
      ['name: watch-rename', 'base: registry.test/tools/busybox:1', 'shell: /bin/sh', extra, ''].join('\n');
    vimSave(yml, text('env: {FOO: one}'));
    await settle(verdicts, 1);
    expect(verdicts).toEqual([
      {
        kind: 'recreate',
        summary: 'run settings changed: env (+ FOO)',
        changes: ['env (+ FOO)'],
        paths: [yml],
      },
    ]);
    // A second rename-save still reaches the watch: the folder is watched, not the replaced file.
    vimSave(yml, text('env: {FOO: two}'));
    await settle(verdicts, 2);
    expect(verdicts.map((v) => v.kind)).toEqual(['recreate', 'recreate']);
    expect(f.runtime.calls.filter((c) => c.method === 'buildImage')).toHaveLength(1);
  });

  it('says nothing for a touch or a save of the same bytes', async () => {
    const { verdicts, yml, f } = await watching('watch-touch', [], { 'app.txt': 'one\n' });
    utimesSync(yml, new Date(), new Date(Date.now() + 5000));
    writeFileSync(path.join(f.dir, 'app.txt'), 'one\n');
    vimSave(yml, f.project.configText ?? '');
    await settle(verdicts, 0);
    expect(verdicts).toEqual([]);
  });

  it('gives none for a comment-only edit of devenv.yml', async () => {
    const { verdicts, yml } = await watching('watch-comment');
    appendFileSync(yml, '# just a note\n');
    await settle(verdicts, 1);
    expect(verdicts).toEqual([{ kind: 'none', paths: [yml] }]);
  });

  it('gives invalid with the line and column for an edit that does not validate', async () => {
    const { verdicts, yml } = await watching('watch-invalid');
    appendFileSync(yml, 'ports: [not-a-port]\n');
    await settle(verdicts, 1);
    expect(verdicts).toHaveLength(1);
    const verdict = verdicts[0];
    if (verdict?.kind !== 'invalid') throw new Error(`expected invalid, got ${JSON.stringify(verdict)}`);
    expect(verdict.paths).toEqual([yml]);
    const problem = verdict.error.diagnostics.find((d) => d.severity === 'error');
    expect(problem).toMatchObject({ file: yml, line: 4 });
    expect(problem?.col).toBeGreaterThan(0);
  });

  it('folds two quick saves into one verdict', async () => {
    const { verdicts, yml } = await watching('watch-twice');
    appendFileSync(yml, 'env: {A: one}\n');
    await sleep(QUIET_MS / 3);
    appendFileSync(yml, '# and a comment\n');
    await settle(verdicts, 1);
    expect(verdicts.map((v) => v.kind)).toEqual(['recreate']);
  });

  it('gives rebuild for an edit of a file a COPY step reads, and ignores its neighbours', async () => {
    const { verdicts, f } = await watching(
      'watch-copy',
      ['steps: [{copy: {src: src/app.txt, dest: /app.txt}}]'],
      {
        'src/app.txt': 'one\n',
        'src/other.txt': 'x\n',
      },
    );
    writeFileSync(path.join(f.dir, 'src/other.txt'), 'not read by the build\n');
    mkdirSync(path.join(f.dir, 'node_modules'));
    writeFileSync(path.join(f.dir, 'node_modules/x.js'), 'x');
    await settle(verdicts, 0);
    expect(verdicts).toEqual([]);
    writeFileSync(path.join(f.dir, 'src/app.txt'), 'two\n');
    await settle(verdicts, 1);
    expect(verdicts).toEqual([
      {
        kind: 'rebuild',
        summary: 'src/app.txt changed: image out of date',
        paths: [path.join(f.dir, 'src/app.txt')],
      },
    ]);
  });

  it('follows a folder a COPY step reads, new files included', async () => {
    const { verdicts, f } = await watching('watch-folder', ['steps: [{copy: {src: conf, dest: /conf}}]'], {
      'conf/a.txt': 'a\n',
    });
    writeFileSync(path.join(f.dir, 'conf/b.txt'), 'b\n');
    await settle(verdicts, 1);
    expect(verdicts).toEqual([
      {
        kind: 'rebuild',
        summary: 'conf/b.txt changed: image out of date',
        paths: [path.join(f.dir, 'conf/b.txt')],
      },
    ]);
  });

  it('follows a COPY source that devenv.yml starts reading', async () => {
    const { verdicts, yml, f } = await watching('watch-new-source', [], { 'extra/new.txt': 'one\n' });
    appendFileSync(yml, 'steps: [{copy: {src: extra/new.txt, dest: /new.txt}}]\n');
    await settle(verdicts, 1);
    expect(verdicts.map((v) => v.kind)).toEqual(['rebuild']);
    writeFileSync(path.join(f.dir, 'extra/new.txt'), 'two\n');
    await settle(verdicts, 2);
    expect(verdicts[1]).toEqual({
      kind: 'rebuild',
      summary: 'extra/new.txt changed: image out of date',
      paths: [path.join(f.dir, 'extra/new.txt')],
    });
  });

  it('judges a batch of more than a thousand files at once, with one verdict', async () => {
    const { verdicts, f } = await watching('watch-many', ['steps: [{copy: {src: tree, dest: /tree}}]'], {
      'tree/keep.txt': 'k\n',
    });
    for (let i = 0; i < 1100; i++) writeFileSync(path.join(f.dir, 'tree', `f${i}.txt`), `${i}\n`);
    await settle(verdicts, 1);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({
      kind: 'rebuild',
      summary: expect.stringMatching(/and 1098 more changed/),
    });
    expect(verdicts[0]?.paths).toHaveLength(1100);
  });

  it('stops at close: a change after it gives no verdict', async () => {
    const { verdicts, yml } = await watching('watch-close');
    const w = watches.pop();
    await w?.close();
    appendFileSync(yml, 'env: {A: one}\n');
    await settle(verdicts, 0);
    expect(verdicts).toEqual([]);
  });
});
