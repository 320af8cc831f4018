/**
 * An engine context on the in-memory runtime for one project: a real project folder with its
 * devenv.yml, a real state folder under a temp XDG_STATE_HOME (so the environment lock is a real lock
 * file), the events the engine reported, and answers for its prompts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ConfigError } from '../../src/config/diagnostic.js';
import { validateConfigText } from '../../src/config/validate.js';
import type { EngineContext, EngineEvent } from '../../src/engine/engine-context.js';
import type { Project } from '../../src/engine/image.js';
import type { UpOptions } from '../../src/engine/up.js';
import { compilePlan } from '../../src/plan/compile-plan.js';
import { envStateDir, stateHome } from '../../src/util/paths.js';
import { MemoryRuntime } from './memory-runtime.js';
import { testFragments } from './plan-context.js';
import { makeProject, removeProject } from './project.js';
import type { Tree } from './project.js';

/** `up -d` with nothing else asked: no rebuild forced, no consent given. */
export const UP_DETACHED: Readonly<UpOptions> = {
  detach: true,
  recreate: false,
  keepState: false,
  yes: false,
  noCache: false,
  pull: false,
  squash: false,
  force: false,
};

/** The base image every fixture's registry holds: a shell, no bash. */
export const BASE_IMAGE = 'registry.test/tools/busybox:1';

export interface EngineFixture {
  runtime: MemoryRuntime;
  /** Events reported through every context made by {@link EngineFixture.context}. */
  events: EngineEvent[];
  /** Questions asked, in order. */
  questions: string[];
  dir: string;
  /** The project as devenv.yml says now (see {@link EngineFixture.edit}). */
  project: Project;
  /** An engine context; `interactive` stands for a terminal, `answer` for what the user types. */
  context(options?: { interactive?: boolean; answer?: boolean }): EngineContext;
  /** Rewrites devenv.yml with `lines` (after `name` and `base`) and plans it again. */
  edit(lines: readonly string[]): Promise<Project>;
  /** Reads devenv.yml as it is on disk and plans it; throws a ConfigError when it is invalid. */
  reload(): Promise<Project>;
  /** Messages of the events of one type. */
  messages(type: 'info' | 'warning'): string[];
  cleanup(): void;
}

const made: string[] = [];

/** Removes every folder the fixtures of this file made (for afterEach). */
export function cleanupFixtures(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

async function plan(dir: string, home: string, env: Record<string, string>): Promise<Project> {
  const file = path.join(dir, 'devenv.yml');
  const text = readFileSync(file, 'utf8');
  const result = validateConfigText(text, { file, projectDir: dir, homeDir: home });
  if (!result.ok) throw new ConfigError(result.diagnostics);
  const stateDir = envStateDir(env, home, result.config.name);
  const compiled = compilePlan(result.config, {
    projectDir: dir,
    configFile: file,
    homeDir: home,
    hostUser: { name: 'dev', uid: 1000, gid: 1000 },
    env,
    stateDir,
    fragments: await testFragments(),
  });
  return { plan: compiled, projectDir: dir, stateDir, configText: text };
}

/**
 * A project named `name` on {@link BASE_IMAGE} with the extra devenv.yml `lines` and `files`, and a
 * fresh in-memory runtime whose registry holds the base.
 */
export async function engineFixture(
  name: string,
  lines: readonly string[] = [],
  files: Tree = {},
  runtime = new MemoryRuntime(),
): Promise<EngineFixture> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'devenv-engine-home-'));
  made.push(home);
  const env = { XDG_STATE_HOME: path.join(home, 'state') };
  const yml = (extra: readonly string[]) =>
    [`name: ${name}`, `base: ${BASE_IMAGE}`, 'shell: /bin/sh', ...extra, ''].join('\n');
  const dir = makeProject({ 'devenv.yml': yml(lines), ...files });
  made.push(dir);
  runtime.registry.set(BASE_IMAGE, {
    id: `sha256:${'b'.repeat(64)}`,
    tags: [BASE_IMAGE],
    labels: {},
    entrypoint: null,
    cmd: ['/bin/sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    files: new Map([['/bin/sh', 'busybox']]),
  });
  const events: EngineEvent[] = [];
  const questions: string[] = [];
  const fixture: EngineFixture = {
    runtime,
    events,
    questions,
    dir,
    project: await plan(dir, home, env),
    context: (options = {}) => ({
      runtime,
      onEvent: (event) => events.push(event),
      env,
      stdio: { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() },
      interactive: options.interactive ?? false,
      confirm: (question) => {
        questions.push(question);
        return Promise.resolve(options.interactive === true && options.answer === true);
      },
      stateHome: stateHome(env, home),
      signal: new AbortController().signal,
    }),
    edit: async (extra) => {
      writeFileSync(path.join(dir, 'devenv.yml'), yml(extra));
      fixture.project = await plan(dir, home, env);
      return fixture.project;
    },
    reload: () => plan(dir, home, env),
    messages: (type) => events.flatMap((e) => (e.type === type ? [e.message] : [])),
    cleanup: () => {
      removeProject(dir);
      rmSync(home, { recursive: true, force: true });
    },
  };
  return fixture;
}
