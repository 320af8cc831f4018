/**
 * `devenv watch [--auto]`: bring the environment up in the background, then follow devenv.yml and the
 * files its image copies. Each change is printed with what it means; a rebuild or a recreate is
 * applied at once with `--auto` (or `watch: {auto: true}` in the settings), asked about in a
 * terminal, and otherwise left to the command printed. ctrl-c ends the watch, not the environment.
 * `devenv up --watch` runs the same loop around its attach (see {@link watchEnvironment}).
 */
import { ConfigError } from '../config/diagnostic.js';
import { up } from '../engine/up.js';
import type { UpOptions, UpResult } from '../engine/up.js';
import { attachSession } from '../engine/session.js';
import { changedFilesLabel, VerdictQueue, watchProject } from '../engine/watch/index.js';
import type { WatchVerdict } from '../engine/watch/index.js';
import { isDevenvError, UsageError } from '../errors.js';
import { interruption, InterruptedError } from '../util/interrupt.js';
import type { CommandContext } from './command.js';
import { defineCommand } from './command.js';
import { openProject, reloadProject } from './project.js';
import type { ProjectSession } from './project.js';

const UP_AGAIN: Omit<UpOptions, 'yes'> = {
  detach: true,
  recreate: false,
  keepState: false,
  noCache: false,
  pull: false,
  squash: false,
  force: false,
};

/** What the first `up` did, in words. */
function upLine(result: UpResult): string {
  const done = result.action === 'running' ? 'already running' : `up (${result.action})`;
  return `${result.name} is ${done}${result.built ? ', image built' : ''}`;
}

/** Shows one verdict and, when the user agrees (or `auto`), applies it with `up`. */
async function handleVerdict(
  ctx: CommandContext,
  session: ProjectSession,
  auto: boolean,
  verdict: WatchVerdict,
): Promise<void> {
  const { out } = ctx;
  const { engine } = session;
  const name = session.project.plan.name;
  const files = changedFilesLabel(session.project.projectDir, verdict.paths);
  if (verdict.kind === 'none') {
    out.info(`${files} changed: no effective change`);
    return;
  }
  if (verdict.kind === 'invalid') {
    out.diagnostics(verdict.error.diagnostics);
    out.info(`${files} changed but does not validate; ${name} keeps running as it is`);
    return;
  }
  out.info(verdict.summary);
  const rebuild = verdict.kind === 'rebuild';
  if (!auto && !engine.interactive) {
    out.info(`apply it with: devenv up${rebuild ? ' -y' : ''} (or watch with --auto); still watching`);
    return;
  }
  const question = rebuild ? `rebuild and recreate ${name}?` : `recreate ${name}, keeping its files?`;
  if (!auto && !(await engine.confirm(question))) {
    out.info('left as it is; still watching');
    return;
  }
  const result = await up(engine, await reloadProject(ctx), { ...UP_AGAIN, yes: true });
  out.info(`${upLine(result)}; still watching`);
}

/**
 * Brings the environment up, watches it until ctrl-c and then throws the interruption (exit 130),
 * leaving the environment running. With `attach` in a terminal, the user is attached first; changes
 * seen meanwhile wait, and are shown once they detach.
 */
export async function watchEnvironment(
  ctx: CommandContext,
  session: ProjectSession,
  options: { auto: boolean; attach: boolean; up: UpOptions },
): Promise<number> {
  const { engine, project } = session;
  const name = project.plan.name;
  const stop = new AbortController();
  const onInterrupt = (): void => {
    stop.abort(interruption(ctx.signal));
  };
  ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  const queue = new VerdictQueue((verdict) =>
    handleVerdict(ctx, session, options.auto, verdict).catch((error: unknown) => {
      // A failed rebuild is reported and the watch goes on; ctrl-c at a prompt, or a bug, ends it.
      if (error instanceof InterruptedError || !isDevenvError(error)) stop.abort(error);
      else if (error instanceof ConfigError) ctx.out.diagnostics(error.diagnostics);
      else ctx.out.error(error.message, error.hint);
    }),
  );
  try {
    ctx.out.info(upLine(await up(engine, project, { ...options.up, detach: true })));
    const watch = await watchProject({
      projectDir: project.projectDir,
      configFile: session.configFile,
      project,
      loadProject: () => reloadProject(ctx),
      runtime: engine.runtime,
      onVerdict: (verdict) => {
        queue.push(verdict);
      },
      onError: (error) => {
        ctx.out.warn(`could not judge a change: ${error instanceof Error ? error.message : String(error)}`);
      },
      signal: stop.signal,
    });
    ctx.out.info(
      `watching devenv.yml and the files ${name}'s image copies; ctrl-c stops watching, ${name} keeps running`,
    );
    try {
      if (options.attach && engine.interactive) {
        queue.hold();
        const attached = await attachSession(engine, name);
        ctx.out.info(
          attached.kind === 'detached'
            ? `detached from ${name}; it keeps running, and devenv is still watching (ctrl-c stops)`
            : `${name}'s shell exited with status ${attached.status}; devenv is still watching (ctrl-c stops)`,
        );
        queue.release();
      }
      await new Promise((resolve) => {
        if (stop.signal.aborted) resolve(undefined);
        else stop.signal.addEventListener('abort', resolve, { once: true });
      });
    } finally {
      await watch.close();
      await queue.idle();
    }
    throw stop.signal.reason;
  } finally {
    ctx.signal.removeEventListener('abort', onInterrupt);
  }
}

export default defineCommand({
  name: 'watch',
  summary: 'Bring the environment up, then rebuild or recreate it when devenv.yml or a copied file changes',
  usage: '[--auto]',
  options: {
    auto: {
      type: 'boolean',
      description: 'Apply each change without asking (or set watch: {auto: true} in the settings)',
    },
  },
  async run(ctx) {
    const extra = ctx.args.positionals[0];
    if (extra !== undefined)
      throw new UsageError(
        `unexpected argument ${extra}`,
        'devenv watch works on the project in this folder; use -C DIR for another one',
      );
    const session = await openProject(ctx);
    const auto = ctx.args.options['auto'] === true || session.settings.watch.auto;
    return watchEnvironment(ctx, session, { auto, attach: false, up: { ...UP_AGAIN, yes: auto } });
  },
});
