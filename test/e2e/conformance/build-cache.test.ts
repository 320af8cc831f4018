/**
 * The layer cache as a user sees it, the same on every runtime: which steps `devenv build` reports
 * as cached across the five-build sequence (build; rebuild; edit the copied file; edit a RUN step;
 * add a step at the end), a failing RUN step (exit status, the step named, the tag kept, the earlier
 * layers reused), Docker's CMD/ENTRYPOINT rules through a `dockerfile:` base, and the proxy canary,
 * which reaches the RUN steps and nothing that is kept. Docker's classic builder is the reference: the
 * expectation tables below are what it does.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { filesHolding } from '../../helpers/canary-search.js';
import { savedImageFacts } from '../../helpers/image-tree.js';
import type { ConfigFacts } from '../../helpers/image-tree.js';
import { makeProject } from '../../helpers/project.js';
import { docker } from '../docker/env.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUnderTest, RuntimeUser } from './runtimes.js';

/** One step as the CLI reported it: its instruction, and whether it came from the cache. */
interface ReportedStep {
  instruction: string;
  cached: boolean;
}

/**
 * The steps of the last build in `stderr` (a `dockerfile:` base builds first, with its own
 * numbering), from the reporter's `step 3/7 RUN …` lines and the `  step 3/7: cached` that follows
 * a cache hit.
 */
function reportedSteps(stderr: string): ReportedStep[] {
  const builds: ReportedStep[][] = [];
  for (const line of stderr.split('\n')) {
    const step = /^step (\d+)\/\d+ (.*)$/.exec(line);
    if (step !== null) {
      if (step[1] === '1') builds.push([]);
      builds.at(-1)?.push({ instruction: step[2] ?? '', cached: false });
      continue;
    }
    const hit = /^\s+step \d+\/\d+: cached$/.exec(line);
    const last = builds.at(-1)?.at(-1);
    if (hit !== null && last !== undefined) last.cached = true;
  }
  return builds.at(-1) ?? [];
}

/** `hit` or `miss` per step whose instruction contains one of `names`, in order. */
function verdicts(steps: readonly ReportedStep[], names: readonly string[]): string[] {
  return names.map((name) => {
    const step = steps.find((s) => s.instruction.includes(name));
    return step === undefined ? `${name}: not built` : `${name}: ${step.cached ? 'hit' : 'miss'}`;
  });
}

async function build(user: RuntimeUser, dir: string, extra: readonly string[] = []): Promise<ReportedStep[]> {
  const result = await user.run(dir, ['build', ...extra]);
  expect(result.exitCode, result.stderr).toBe(0);
  const steps = reportedSteps(result.stderr);
  // The classic builder stops probing the cache at the first miss of a stage.
  const firstMiss = steps.findIndex((s) => !s.cached && !s.instruction.startsWith('FROM'));
  if (firstMiss !== -1)
    expect(
      steps.slice(firstMiss).filter((s) => s.cached),
      result.stderr,
    ).toEqual([]);
  return steps;
}

/** The image ID a tag names, as `devenv images --json` lists it. */
async function imageId(user: RuntimeUser, dir: string, tag: string): Promise<string | undefined> {
  const listed = await user.run(dir, ['images', '--json']);
  expect(listed.exitCode, listed.stderr).toBe(0);
  const images = JSON.parse(listed.stdout) as { id: string; tags: string[] }[];
  return images.find((image) => image.tags.includes(tag))?.id;
}

function edit(dir: string, file: string, from: string, to: string): void {
  const full = path.join(dir, file);
  const text = readFileSync(full, 'utf8');
  expect(text).toContain(from);
  writeFileSync(full, text.replace(from, to));
}

/** A project on the runtime's base whose steps are `runs`, one `run` step each. */
function runSteps(runtime: RuntimeUnderTest, name: string, runs: readonly string[]): string {
  return makeProject({
    'devenv.yml': [
      `name: ${name}`,
      `base: ${runtime.base}`,
      'network: none',
      'steps:',
      ...runs.map((run) => `  - run: ${run}`),
      '',
    ].join('\n'),
  });
}

function appendStep(dir: string, run: string): void {
  const file = path.join(dir, 'devenv.yml');
  writeFileSync(file, `${readFileSync(file, 'utf8')}  - run: ${run}\n`);
}

forEachRuntime('the build cache', ['build'], (runtime: RuntimeUnderTest) => {
  const name = (what: string) => `cache-${what}`;

  it('five builds: build, rebuild, edit the copied file, edit a RUN step, add a step', async () => {
    const user = runtime.user();
    // A `dockerfile:` base hands every build to the builder, so its own cache decides each step.
    const dir = makeProject({
      'devenv.yml': [
        `name: ${name('five')}`,
        'base: {dockerfile: ./Dockerfile}',
        'network: none',
        'steps:',
        '  - copy: {src: ./input.txt, dest: /opt/input.txt}',
        '  - run: cat /opt/input.txt > /opt/copied-twice',
        '  - run: echo one > /opt/run-step',
        '',
      ].join('\n'),
      Dockerfile: `FROM ${runtime.base}\nRUN echo base > /opt-base\n`,
      'input.txt': 'first\n',
    });
    const named = ['COPY', 'RUN cat', 'RUN echo one', 'RUN echo two', 'RUN echo three'];

    expect(verdicts(await build(user, dir), named)).toEqual([
      'COPY: miss',
      'RUN cat: miss',
      'RUN echo one: miss',
      'RUN echo two: not built',
      'RUN echo three: not built',
    ]);
    expect(verdicts(await build(user, dir), named)).toEqual([
      'COPY: hit',
      'RUN cat: hit',
      'RUN echo one: hit',
      'RUN echo two: not built',
      'RUN echo three: not built',
    ]);
    writeFileSync(path.join(dir, 'input.txt'), 'second\n');
    expect(verdicts(await build(user, dir), named)).toEqual([
      'COPY: miss',
      'RUN cat: miss',
      'RUN echo one: miss',
      'RUN echo two: not built',
      'RUN echo three: not built',
    ]);
    edit(dir, 'devenv.yml', 'echo one', 'echo two');
    expect(verdicts(await build(user, dir), named)).toEqual([
      'COPY: hit',
      'RUN cat: hit',
      'RUN echo one: not built',
      'RUN echo two: miss',
      'RUN echo three: not built',
    ]);
    appendStep(dir, 'echo three > /opt/added');
    expect(verdicts(await build(user, dir), named)).toEqual([
      'COPY: hit',
      'RUN cat: hit',
      'RUN echo one: not built',
      'RUN echo two: hit',
      'RUN echo three: miss',
    ]);
    const facts = await savedImageFacts(user, `devenv/${name('five')}:latest`);
    expect(facts.tree.get('opt/copied-twice')?.split(' ')[3]).toBe('7');
    expect(facts.tree.has('opt/added')).toBe(true);
  });

  it('a failing RUN step: its exit status and the step named, the tag kept, earlier layers reused', async () => {
    const user = runtime.user();
    const tag = `devenv/${name('fail')}:latest`;
    const dir = runSteps(runtime, name('fail'), ['echo first > /opt-first', 'echo second > /opt-second']);
    await build(user, dir);
    const before = await imageId(user, dir, tag);
    expect(before).toMatch(/^sha256:/);

    appendStep(dir, 'echo partial > /opt-partial && exit 3');
    const failed = await user.run(dir, ['build']);
    expect(failed.exitCode, failed.stderr).toBe(1);
    expect(failed.stderr).toContain('echo partial > /opt-partial && exit 3');
    expect(failed.stderr).toMatch(/returned a non-zero code: 3|exit(ed)?( with)? (status|code) 3/);
    expect(failed.stderr).not.toContain('hit a bug');
    expect(await imageId(user, dir, tag)).toBe(before);

    edit(dir, 'devenv.yml', '&& exit 3', '&& true');
    expect(verdicts(await build(user, dir), ['echo first', 'echo second', 'echo partial'])).toEqual([
      'echo first: hit',
      'echo second: hit',
      'echo partial: miss',
    ]);
    expect(await imageId(user, dir, tag)).not.toBe(before);
  });

  it("images hides the build's intermediate steps, as docker images does; images -a lists them", async () => {
    const user = runtime.user();
    const tag = `devenv/${name('steps')}:latest`;
    const dir = runSteps(runtime, name('steps'), ['echo a > /opt-a', 'echo b > /opt-b', 'echo c > /opt-c']);
    await build(user, dir);
    const list = async (args: string[]) => {
      const listed = await user.run(dir, ['images', '--json', ...args]);
      expect(listed.exitCode, listed.stderr).toBe(0);
      return JSON.parse(listed.stdout) as { id: string; tags: string[] }[];
    };
    const shown = await list([]);
    const all = await list(['-a']);
    expect(shown.find((image) => image.tags.includes(tag))).toBeDefined();
    const shownIds = new Set(shown.map((image) => image.id));
    // Every image the default list shows is in the full one; what only -a shows is untagged.
    expect(shown.filter((image) => !all.some((other) => other.id === image.id))).toEqual([]);
    const steps = all.filter((image) => !shownIds.has(image.id));
    expect(steps.filter((image) => image.tags.length > 0)).toEqual([]);
    // At least the images after the first two RUN steps, which the third was built on.
    expect(steps.length, JSON.stringify(all)).toBeGreaterThanOrEqual(2);
  });

  /** The Dockerfile rows of the CMD/ENTRYPOINT matrix and the config Docker gives each. */
  const MATRIX: { row: string; lines: string[]; want: Pick<ConfigFacts, 'Cmd' | 'Entrypoint'> }[] = [
    {
      row: 'nothing set inherits both',
      lines: [],
      want: { Cmd: ['parent-cmd'], Entrypoint: ['/bin/echo', 'parent'] },
    },
    {
      row: 'CMD alone keeps the entrypoint',
      lines: ['CMD ["own-cmd"]'],
      want: { Cmd: ['own-cmd'], Entrypoint: ['/bin/echo', 'parent'] },
    },
    {
      row: 'ENTRYPOINT alone resets CMD',
      lines: ['ENTRYPOINT ["/bin/echo", "own"]'],
      want: { Cmd: null, Entrypoint: ['/bin/echo', 'own'] },
    },
    {
      row: 'CMD then ENTRYPOINT keeps that CMD',
      lines: ['CMD ["own-cmd"]', 'ENTRYPOINT ["/bin/echo", "own"]'],
      want: { Cmd: ['own-cmd'], Entrypoint: ['/bin/echo', 'own'] },
    },
    {
      row: 'shell forms run under SHELL',
      lines: ['SHELL ["/bin/sh", "-ec"]', 'ENTRYPOINT echo own', 'CMD echo cmd'],
      want: { Cmd: ['/bin/sh', '-ec', 'echo cmd'], Entrypoint: ['/bin/sh', '-ec', 'echo own'] },
    },
  ];

  it.each(MATRIX.map((m, i) => [m.row, i] as const))(
    'CMD/ENTRYPOINT through a dockerfile base: %s',
    async (_row, i) => {
      const { lines, want } = MATRIX[i] ?? { lines: [], want: { Cmd: null, Entrypoint: null } };
      const user = runtime.user();
      const project = name(`entry-${i}`);
      const dir = makeProject({
        'devenv.yml': [`name: ${project}`, 'base: {dockerfile: ./Dockerfile}', 'network: none', ''].join(
          '\n',
        ),
        Dockerfile: [
          `FROM ${runtime.base} AS parent`,
          'ENTRYPOINT ["/bin/echo", "parent"]',
          'CMD ["parent-cmd"]',
          'FROM parent',
          'RUN echo child > /child',
          ...lines,
          '',
        ].join('\n'),
      });
      await build(user, dir);
      const base = await savedImageFacts(user, `devenv/${project}-base:latest`);
      expect({ Cmd: base.config.Cmd, Entrypoint: base.config.Entrypoint }).toEqual(want);
    },
  );

  it('the proxy reaches every RUN step and no layer, config, history or saved archive', async () => {
    const canary = `CANARY-${randomUUID()}`;
    const proxy = `http://user:${canary}@127.0.0.1:9`;
    const user = runtime.user({ HTTP_PROXY: proxy, http_proxy: proxy, HTTPS_PROXY: proxy });
    const tag = `devenv/${name('canary')}:latest`;
    const dir = runSteps(runtime, name('canary'), [
      'test "$HTTP_PROXY" = "$http_proxy" && test -n "$HTTPS_PROXY" && echo seen > /proxy-seen-1',
      'case "$HTTP_PROXY" in *CANARY-*) echo seen > /proxy-seen-2;; *) exit 9;; esac',
    ]);
    const built = await user.run(dir, ['build']);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(`${built.stdout}${built.stderr}`).not.toContain(canary);
    const facts = await savedImageFacts(user, tag);
    expect(facts.tree.has('proxy-seen-1') && facts.tree.has('proxy-seen-2')).toBe(true);

    const archive = path.join(makeProject({}), 'saved.tar');
    const saved = await user.run(dir, ['save', tag, '-o', archive]);
    expect(saved.exitCode, saved.stderr).toBe(0);
    // The search itself finds what is there: the name of a file a RUN step made.
    expect(await filesHolding([archive], 'proxy-seen-2')).not.toEqual([]);
    expect(await filesHolding([archive], canary)).toEqual([]);
    if (runtime.name === 'docker') {
      expect((await docker(['history', '--no-trunc', tag])).stdout).not.toContain(canary);
      expect((await docker(['image', 'inspect', tag])).stdout).not.toContain(canary);
    } else {
      const root = user.globals[user.globals.indexOf('--root') + 1] ?? '';
      expect(await filesHolding([root], 'proxy-seen-2')).not.toEqual([]);
      expect(await filesHolding([root], canary)).toEqual([]);
    }
  });
});
