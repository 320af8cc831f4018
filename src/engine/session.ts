/**
 * Sessions in an environment: rejoin the main one, run one command, open another shell, or run a
 * throwaway container. Exit statuses pass through; devenv's own failures give 125, as docker's do.
 */
import { crypto } from '../util/crypto.js';
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import { SECRET_ENV_TARGET, wrapWithSecrets } from '../plan/secrets.js';
import type { RunSpec } from '../plan/types.js';
import type { AttachResult, ContainerSummary, ImageSummary } from '../runtime/runtime.js';
import { resolveRunEnv } from './run-env.js';
import type { EngineContext } from './engine-context.js';
import { withEnvLock } from './env-lock.js';

/** Finds an environment's container or fails with a hint to create it. */
export async function requireContainer(ctx: EngineContext, name: string): Promise<ContainerSummary> {
  const container = await ctx.runtime.inspectContainer(name);
  if (container === undefined)
    throw new DevenvError('DEVENV_NOT_FOUND', `there is no environment named ${name}`, {
      hint: 'run devenv up to create it, or devenv ls to see what exists',
    });
  return container;
}

/** Starts a stopped container under the environment's lock, looking again once the lock is held. */
async function ensureRunning(ctx: EngineContext, container: ContainerSummary): Promise<ContainerSummary> {
  if (container.state === 'running') return container;
  return withEnvLock(ctx, container.name, 'devenv start', async () => {
    const current = await requireContainer(ctx, container.name);
    if (current.state === 'running') return current;
    ctx.onEvent({ type: 'info', message: `starting ${container.name}` });
    await ctx.runtime.startContainer(container.name);
    return current;
  });
}

/**
 * Hands the terminal to the main session, after saying where the user is and how to leave. The
 * Docker CLI nudges the TTY size when it attaches (one row and column bigger, then back), which
 * makes a shell with a line editor (bash, ash, zsh) redraw its prompt; the line printed here keeps
 * the screen from looking dead where a shell without one (dash) has nothing to redraw.
 */
export async function attachSession(ctx: EngineContext, name: string): Promise<AttachResult> {
  ctx.onEvent({
    type: 'info',
    message: `attached to ${name} — ctrl-p ctrl-q detaches, the session keeps running`,
  });
  return ctx.runtime.attach(name, ctx.stdio);
}

/** Rejoins the main session (ctrl-p ctrl-q detaches), starting the environment if it is stopped. */
export async function attachTo(ctx: EngineContext, name: string): Promise<AttachResult> {
  const container = await requireContainer(ctx, name);
  if (!ctx.interactive)
    throw new DevenvError('DEVENV_USAGE', 'attach needs a terminal', {
      hint: `use devenv exec ${name} -- CMD from scripts`,
    });
  await ensureRunning(ctx, container);
  return attachSession(ctx, name);
}

/**
 * Runs `command` in the environment (starting it if it is stopped); a TTY only when stdin is one.
 * Proxy values come from the container's secret env file, through the wrapper.
 */
export async function execIn(
  ctx: EngineContext,
  name: string,
  command: readonly string[],
  options: { user?: string | undefined; workdir?: string | undefined } = {},
): Promise<number> {
  const container = await requireContainer(ctx, name);
  await ensureRunning(ctx, container);
  const secret = container.mounts.some((m) => m.target === SECRET_ENV_TARGET);
  const argv = secret ? wrapWithSecrets(command) : [...command];
  const tty = ctx.stdio.stdout.isTTY === true && ctx.stdio.stdin.isTTY === true;
  return ctx.runtime.exec(
    name,
    argv,
    { tty, interactive: true, user: options.user, workdir: options.workdir },
    ctx.stdio,
  );
}

/**
 * Runs `command` in a new throwaway container of the environment's image (`image`, whose variables
 * `env:` may refer to), with the same settings.
 */
export async function runOnce(
  ctx: EngineContext,
  spec: RunSpec,
  image: ImageSummary,
  command: readonly string[],
): Promise<number> {
  const tty = ctx.stdio.stdout.isTTY === true && ctx.stdio.stdin.isTTY === true;
  const name = `${spec.name}-run-${crypto().randomBytes(3).toString('hex')}`;
  const labels = { [LABELS.runOf]: spec.name };
  const argv = command.length === 0 ? [spec.shell] : [...command];
  const resolved = resolveRunEnv(spec, image);
  return ctx.runtime.runOnce(
    { ...resolved, name, hostname: spec.hostname, labels, persist: false },
    argv,
    { tty, interactive: true },
    ctx.stdio,
  );
}
