/**
 * The plain reporter's lines for a scripted build, pull and save on a fake clock, compared byte for
 * byte with the golden files in __golden__ (update them with `npx vitest run -u` after a deliberate
 * change, and read the diff).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/runtime/events.js';
import { PlainOutput } from '../../../src/ui/plain/output.js';
import { plainReporter } from '../../../src/ui/progress/plain-reporter.js';

const MB = 1_000_000;
const ESC = String.fromCharCode(27);

/** What the reporter writes for `script` (each event at its time), and what went to stdout. */
function replay(script: readonly (readonly [number, RuntimeEvent])[], color = false) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  let out = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let now = 0;
  const report = plainReporter(new PlainOutput({ stdout, stderr }, color), { now: () => now });
  for (const [at, event] of script) {
    now = at;
    report(event);
  }
  return { stderr: err, stdout: out };
}

const build: (readonly [number, RuntimeEvent])[] = [
  [0, { type: 'job:start', kind: 'build', label: 'devenv/demo:latest' }],
  [10, { type: 'build:step', step: 1, total: 4, instruction: 'FROM debian:12', cached: true }],
  [20, { type: 'build:step', step: 2, total: 4, instruction: 'RUN apt-get update && apt-get install -y jq' }],
  [900, { type: 'build:output', line: 'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]' }],
  [9_000, { type: 'build:output', line: 'Setting up jq (1.6-2.1) ...' }],
  [12_520, { type: 'build:step-end', step: 2, total: 4, ms: 12_500 }],
  [12_530, { type: 'build:step', step: 3, total: 4, instruction: 'COPY --chown=dev:dev . /work' }],
  [12_700, { type: 'build:step-end', step: 3, total: 4, ms: 170 }],
  [12_710, { type: 'build:step', step: 4, total: 4, instruction: `RUN ${'echo done && '.repeat(12)}true` }],
  [12_720, { type: 'warning', message: 'the step ran as root' }],
  [75_000, { type: 'build:step-end', step: 4, total: 4, ms: 62_290 }],
  [75_100, { type: 'info', message: 'squashing the 3 layers the build added into one' }],
  [76_000, { type: 'job:end', kind: 'build', label: 'devenv/demo:latest', ok: true }],
];

/** Two layers of 30 and 96 MB at 8 MB/s, a third already there; progress every 250 ms. */
function pull(): (readonly [number, RuntimeEvent])[] {
  const events: (readonly [number, RuntimeEvent])[] = [
    [0, { type: 'job:start', kind: 'pull', label: 'registry.test/team/app:1' }],
    [100, { type: 'transfer:done', id: '3f4ca61aafcd', phase: 'download', skipped: true }],
  ];
  for (const [id, total] of [
    ['a1b2c3d4e5f6', 30 * MB],
    ['0f9e8d7c6b5a', 96 * MB],
  ] as const) {
    const start = events.at(-1)?.[0] ?? 0;
    for (let t = 0; t * 8 * MB < total * 1000; t += 250) {
      events.push([
        start + t,
        { type: 'transfer:progress', id, phase: 'download', current: (t * 8 * MB) / 1000, total },
      ]);
    }
    const end = (events.at(-1)?.[0] ?? 0) + 250;
    events.push([end, { type: 'transfer:progress', id, phase: 'download', current: total, total }]);
    events.push([end, { type: 'transfer:done', id, phase: 'download' }]);
    events.push([end + 10, { type: 'transfer:progress', id, phase: 'extract', current: 0, total }]);
    events.push([end + 900, { type: 'transfer:done', id, phase: 'extract' }]);
  }
  const last = events.at(-1)?.[0] ?? 0;
  events.push([last + 50, { type: 'job:end', kind: 'pull', label: 'registry.test/team/app:1', ok: true }]);
  return events;
}

/** The image archive (size unknown) at 20 MB/s for 14 s, then the bundle file reported done. */
function save(): (readonly [number, RuntimeEvent])[] {
  const events: (readonly [number, RuntimeEvent])[] = [
    [0, { type: 'info', message: 'committing the changes in demo' }],
    [2000, { type: 'info', message: 'writing demo.tar' }],
    [2000, { type: 'job:start', kind: 'save', label: 'devenv/demo:saved' }],
  ];
  for (let t = 250; t <= 14_000; t += 250)
    events.push([
      2000 + t,
      { type: 'transfer:progress', id: 'archive', phase: 'write', current: t * 20_000 },
    ]);
  events.push([16_000, { type: 'transfer:done', id: 'archive', phase: 'write' }]);
  events.push([16_000, { type: 'job:end', kind: 'save', label: 'devenv/demo:saved', ok: true }]);
  events.push([16_100, { type: 'info', message: 'saving volume home' }]);
  events.push([16_500, { type: 'transfer:done', id: 'demo.tar', phase: 'write' }]);
  return events;
}

describe('plain reporter', () => {
  it('build: one line per step, cached marked, slow steps timed, output indented', async () => {
    const { stderr, stdout } = replay(build);
    expect(stdout).toBe('');
    await expect(stderr).toMatchFileSnapshot('__golden__/plain-build.txt');
  });

  it('pull: bytes at most every few seconds or every tenth, each layer when done', async () => {
    const { stderr, stdout } = replay(pull());
    expect(stdout).toBe('');
    expect(stderr.split('\n').length).toBeLessThan(60);
    await expect(stderr).toMatchFileSnapshot('__golden__/plain-pull.txt');
  });

  it('save: an archive of unknown size every few seconds', async () => {
    const { stderr, stdout } = replay(save());
    expect(stdout).toBe('');
    await expect(stderr).toMatchFileSnapshot('__golden__/plain-save.txt');
  });

  it('no colour codes without colour, and no cursor movement with it', () => {
    expect(replay(build).stderr).not.toContain(ESC);
    const coloured = replay([...build, ...pull()], true).stderr;
    expect(coloured).toContain(`${ESC}[36m`);
    expect(coloured).not.toMatch(new RegExp(`${ESC}\\[\\d*[ABJK]`));
  });
});
