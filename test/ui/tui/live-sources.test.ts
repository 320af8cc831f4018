/** The TUI's real change sources: runtime changes held while a child owns the terminal, and project edits as banners. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/diagnostic.js';
import { up } from '../../../src/engine/up.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { pendingChangeOf, projectChanges, runtimeChanges } from '../../../src/ui/tui/live-sources.js';
import type { PendingChange } from '../../../src/ui/tui/store.js';
import { cleanupFixtures, engineFixture, UP_DETACHED } from '../../helpers/engine-fixture.js';
import { waitFor } from '../../helpers/wait-for.js';

afterEach(cleanupFixtures);

describe('pendingChangeOf', () => {
  const dir = '/p';
  it('names the files and what the change means; an edit with no effect gives no banner', () => {
    expect(pendingChangeOf(dir, { kind: 'none', paths: ['/p/devenv.yml'] })).toBeUndefined();
    expect(
      pendingChangeOf(dir, {
        kind: 'rebuild',
        summary: 'app.txt changed: image out of date',
        paths: ['/p/app.txt'],
      }),
    ).toEqual({
      verdict: 'rebuild',
      message: 'app.txt changed: image out of date',
    });
    expect(
      pendingChangeOf(dir, {
        kind: 'recreate',
        summary: 'devenv.yml changed: run settings changed: env (+ A)',
        changes: [],
        paths: ['/p/devenv.yml'],
      }),
    ).toEqual({ verdict: 'recreate', message: 'devenv.yml changed: run settings changed: env (+ A)' });
    const error = new ConfigError([
      {
        severity: 'error',
        code: 'type',
        file: '/p/devenv.yml',
        line: 3,
        col: 8,
        message: 'ports: expected a list',
        path: ['ports'],
      },
    ]);
    const invalid = pendingChangeOf(dir, { kind: 'invalid', error, paths: ['/p/devenv.yml'] });
    expect(invalid?.verdict).toBe('invalid');
    expect(invalid?.message).toContain('devenv.yml:3:8');
  });
});

describe('runtimeChanges', () => {
  it('reports names as they come, and while paused only one "refresh all" on resume', async () => {
    let emit: (name: string) => void = () => undefined;
    const runtime = {
      name: 'docker',
      watchChanges: (signal: AbortSignal, onChange: (name: string | undefined) => void) => {
        emit = (name) => {
          onChange(name);
        };
        return new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            resolve();
          });
        });
      },
    } as unknown as Runtime;
    const seen: (string | undefined)[] = [];
    const source = runtimeChanges([runtime], path.join('/nonexistent', 'state'));
    source.start((name) => seen.push(name));
    await waitFor(() => {
      emit('api');
      return seen.includes('api');
    }, 'a change to be reported');
    source.pause();
    const before = seen.length;
    emit('web');
    emit('web');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.length).toBe(before);
    source.resume();
    expect(seen.at(-1)).toBeUndefined();
    expect(seen.length).toBe(before + 1);
    source.close();
  });
});

describe('projectChanges', () => {
  it('a devenv.yml edit that needs a build becomes a rebuild banner', async () => {
    const f = await engineFixture('tui-watch');
    await up(f.context(), f.project, UP_DETACHED);
    const changes: PendingChange[] = [];
    const source = projectChanges({
      project: f.project,
      configFile: path.join(f.dir, 'devenv.yml'),
      loadProject: () => f.reload(),
      runtime: f.runtime,
    });
    source.start((change) => {
      if (change !== undefined) changes.push(change);
    });
    try {
      // The watch reads the folders first: edit, give it a few quiet seconds, edit again if unseen.
      const seen = (): boolean => changes.length > 0;
      for (let attempt = 0; attempt < 20 && !seen(); attempt++) {
        writeFileSync(
          path.join(f.dir, 'devenv.yml'),
          `name: tui-watch\nbase: registry.test/tools/busybox:1\nshell: /bin/sh\nsteps: [{run: "touch /x${String(attempt)}"}]\n`,
        );
        for (let i = 0; i < 30 && !seen(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(changes[0]).toEqual({ verdict: 'rebuild', message: 'devenv.yml changed: image out of date' });
    } finally {
      source.close();
    }
  });
});
