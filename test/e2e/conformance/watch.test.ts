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
import { expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUser } from './runtimes.js';
import { envName, ok, projectOn, statusOf } from './scenario.js';

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

/** `cached` or `run` for each reported build step whose instruction holds one of `names`. */
function stepsOf(stderr: string, names: readonly string[]): string[] {
  const steps: { instruction: string; cached: boolean }[] = [];
  for (const line of stderr.split('\n')) {
    const step = /^step \d+\/\d+ (.*)$/.exec(line);
    if (step !== null) steps.push({ instruction: step[1] ?? '', cached: false });
    const last = steps.at(-1);
    if (/^\s+step \d+\/\d+: cached$/.test(line) && last !== undefined) last.cached = true;
  }
  return names.map((name) => {
    const step = steps.find((s) => s.instruction.includes(name));
    return `${name}: ${step === undefined ? 'not built' : step.cached ? 'cached' : 'run'}`;
  });
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
      expect(stepsOf(rebuild, ['RUN echo before', 'COPY app.txt'])).toEqual([
        'RUN echo before: cached',
        'COPY app.txt: run',
      ]);
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
});
