/**
 * `devenv watch --auto` as a user runs it, on every runtime: a child process left watching while the
 * test edits the project. Editing a file a COPY step reads rebuilds from that step on (the steps
 * before it come from the layer cache) and recreates the container; a comment in devenv.yml does
 * nothing; an invalid edit prints file:line:col and leaves the environment running; ctrl-c ends the
 * watch with status 130 and the environment still runs.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUser } from './runtimes.js';
import { closeTerminals, envName, ok, projectOn, PROMPT, statusOf, terminal } from './scenario.js';

afterAll(closeTerminals);

/**
 * Starts `devenv watch ARGS` as the leader of its own process group, as a shell starts a job, with
 * no terminal; `since(mark)` is the stderr written after `mark()` was taken.
 */
function startWatch(user: RuntimeUser, dir: string, args: readonly string[]) {
  const child = execa(process.execPath, [CLI, ...user.globals, 'watch', ...args], {
    cwd: dir,
    env: { NO_COLOR: '1', ...user.env },
    detached: true,
    reject: false,
    stdin: 'ignore',
    timeout: 800_000,
  });
  let stderr = '';
  let ended = false;
  void child.finally(() => {
    ended = true;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    stderr: () => stderr,
    mark: () => stderr.length,
    since: (mark: number) => stderr.slice(mark),
    interrupt: () => {
      process.kill(-(child.pid ?? 0), 'SIGINT');
    },
    ended: () => ended,
    done: child,
  };
}

/**
 * The 1-based step numbers of the instructions of the generated Dockerfile that contain `needle`s,
 * as the build reports them (`step 3/6`), counting instructions, not lines.
 */
async function stepNumbers(user: RuntimeUser, dir: string, needles: readonly string[]): Promise<number[]> {
  const dockerfile = await ok(user, dir, ['plan', '--dockerfile']);
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => /^[A-Z]+\s/.test(line));
  return needles.map((needle) => instructions.findIndex((line) => line.includes(needle)) + 1);
}

/** Whether the build in `stderr` reported step `n` as taken from the layer cache. */
function cached(stderr: string, n: number): boolean {
  return new RegExp(`^\\s+step ${n}/\\d+: cached$`, 'm').test(stderr);
}

forEachRuntime('devenv watch', ['build', 'containers'], (runtime) => {
  it('rebuilds from the edited COPY step, ignores a comment, reports an invalid edit, and ends on ctrl-c', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'watch');
    const dir = projectOn(
      runtime,
      name,
      ['steps:', '  - run: echo before > /before', '  - copy: {src: app.txt, dest: /app.txt}'],
      { 'app.txt': 'one\n' },
    );
    const watch = startWatch(user, dir, ['--auto']);
    try {
      await waitFor(() => watch.stderr().includes('ctrl-c stops watching'), 'the watch to start', 300_000);
      expect(await ok(user, dir, ['exec', '--', 'cat', '/app.txt'])).toBe('one');
      const first = await statusOf(user, dir);

      let mark = watch.mark();
      writeFileSync(path.join(dir, 'app.txt'), 'two\n');
      await waitFor(() => watch.since(mark).includes('still watching'), 'the rebuild', 300_000);
      const rebuild = watch.since(mark);
      expect(rebuild).toContain('app.txt changed: image out of date');
      const [run, copy] = await stepNumbers(user, dir, ['echo before', 'COPY']);
      expect(run, 'the RUN step').toBeGreaterThan(0);
      expect(copy, 'the COPY step').toBeGreaterThan(run ?? 0);
      expect([cached(rebuild, run ?? 0), cached(rebuild, copy ?? 0)], rebuild).toEqual([true, false]);
      expect(rebuild).toContain('image built');
      expect(rebuild).toContain('up (recreated)');
      expect(await ok(user, dir, ['exec', '--', 'cat', '/app.txt'])).toBe('two');
      const second = await statusOf(user, dir);
      expect(second.created).not.toBe(first.created);

      mark = watch.mark();
      appendFileSync(path.join(dir, 'devenv.yml'), '# only a comment\n');
      await waitFor(() => watch.since(mark).includes('\n'), 'the comment to be seen', 120_000);
      expect(watch.since(mark)).toBe('devenv.yml changed: no effective change\n');
      expect(await statusOf(user, dir)).toMatchObject({ state: 'running', created: second.created });

      mark = watch.mark();
      appendFileSync(path.join(dir, 'devenv.yml'), 'ports: [not-a-port]\n');
      await waitFor(
        () => watch.since(mark).includes('keeps running'),
        'the invalid edit to be seen',
        120_000,
      );
      const lines = readFileSync(path.join(dir, 'devenv.yml'), 'utf8').split('\n');
      const line = lines.findIndex((l) => l.startsWith('ports:')) + 1;
      expect(watch.since(mark)).toMatch(new RegExp(`devenv\\.yml:${line}:\\d+: error: ports`));
      expect(watch.since(mark)).not.toContain('building');

      watch.interrupt();
      const ended = await watch.done;
      expect(ended.exitCode, watch.stderr()).toBe(130);
      expect(watch.stderr()).not.toContain('hit a bug');
      // devenv.yml is invalid now, so ask about the environment by name.
      const status = JSON.parse(await ok(user, dir, ['status', name, '--json'])) as {
        state: string;
        created: string;
      };
      expect(status).toMatchObject({ state: 'running', created: second.created });
    } finally {
      if (!watch.ended()) watch.interrupt();
      await watch.done;
      await user.run(dir, ['rm', '-f', name]);
    }
  });

  it('without --auto and without a terminal, names the command that would apply a change', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'watch-manual');
    const dir = projectOn(runtime, name, ['steps:', '  - copy: {src: app.txt, dest: /app.txt}'], {
      'app.txt': 'one\n',
    });
    const watch = startWatch(user, dir, []);
    try {
      await waitFor(() => watch.stderr().includes('ctrl-c stops watching'), 'the watch to start', 300_000);
      const mark = watch.mark();
      writeFileSync(path.join(dir, 'app.txt'), 'two\n');
      await waitFor(() => watch.since(mark).includes('still watching'), 'the change to be seen', 120_000);
      expect(watch.since(mark)).toBe(
        'app.txt changed: image out of date\napply it with: devenv up -y (or watch with --auto); still watching\n',
      );
      expect(await ok(user, dir, ['exec', '--', 'cat', '/app.txt'])).toBe('one');
      expect((await statusOf(user, dir)).drift).toBe('image-stale');
      watch.interrupt();
      expect((await watch.done).exitCode).toBe(130);
    } finally {
      if (!watch.ended()) watch.interrupt();
      await watch.done;
      await user.run(dir, ['rm', '-f', name]);
    }
  });

  it('up --watch holds a change while the user is attached and asks once they detach', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'watch-attached');
    const dir = projectOn(runtime, name, ['steps:', '  - copy: {src: app.txt, dest: /app.txt}'], {
      'app.txt': 'one\n',
    });
    const session = await terminal(`${runtime.name}-up-watch`, user, dir, ['up', '--watch']);
    try {
      await session.waitFor(PROMPT, 240_000);
      writeFileSync(path.join(dir, 'app.txt'), 'two\n');
      // Absence can only be shown by waiting: ten times the quiet period, and nothing is shown or built.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(await session.screen()).not.toContain('app.txt changed');
      expect(await ok(user, dir, ['exec', '--', 'cat', '/app.txt'])).toBe('one');

      await session.keys('C-p', 'C-q');
      const asked = await session.waitFor(new RegExp(`rebuild and recreate ${name}\\? \\[y/N\\]`), 120_000);
      expect(asked).toContain('app.txt changed: image out of date');
      await session.type('y\n');
      await session.waitFor(/up \(recreated\)[^\n]*still watching/, 300_000);
      expect(await ok(user, dir, ['exec', '--', 'cat', '/app.txt'])).toBe('two');

      await session.keys('C-c');
      await session.waitFor(/\[exit 130\]/);
      expect((await statusOf(user, dir)).state).toBe('running');
    } finally {
      await user.run(dir, ['rm', '-f', name]);
    }
  });
});
