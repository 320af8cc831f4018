/**
 * Creating and starting an environment's container: the host files it needs first, the labels that
 * let later commands find and check it, and the lifecycle hooks.
 */
import { existsSync } from 'node:fs';
import { writeFile } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { DevenvError } from '../errors.js';
import { LABELS, runSettingsOf } from '../plan/compile-plan.js';
import { wrapWithSecrets } from '../plan/secrets.js';
import type { RunSpec } from '../plan/types.js';
import type { ContainerSummary, ImageSummary } from '../runtime/runtime.js';
import { writeRuntimeRecord } from '../runtime/runtime-record.js';
import type { EngineContext } from './engine-context.js';
import { resolveRunEnv } from './run-env.js';
import { RUN_SETTINGS_LABEL } from './run-changes.js';
import { containerShell, withShell } from './shell.js';
import {
  checkDevices,
  createMissingBindSources,
  HOOK_MARKER_PREFIX,
  removeHostSecrets,
  writeSecretEnv,
  writeXauthCookie,
} from './host-files.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';

/** Label with the id of the environment image a container is based on (its own image may be a commit). */
export const BASE_IMAGE_LABEL = 'dev.devenv.image';

/** Runs `command` through the secret-env wrapper when the environment has proxy values. */
export function withSecrets(spec: Pick<RunSpec, 'secretEnv'>, command: readonly string[]): string[] {
  return Object.keys(spec.secretEnv).length > 0 ? wrapWithSecrets(command) : [...command];
}

/** Writes what the container needs on the host before it (re)starts; returns the secret env file. */
export async function prepareHost(
  ctx: EngineContext,
  spec: RunSpec,
  stateDir: string,
): Promise<string | undefined> {
  checkDevices(spec);
  const created = await createMissingBindSources(spec);
  for (const dir of created) ctx.onEvent({ type: 'info', message: `created ${dir} for a bind mount` });
  if (spec.devices.x11 !== undefined) await writeXauthCookie(spec.devices.x11, ctx.env);
  return writeSecretEnv(stateDir, spec.secretEnv);
}

/**
 * Creates the container from `imageRef` (the environment image, or a commit of the previous
 * container), recording the environment image's id, the runtime and the run settings (and, in the
 * state folder, the runtime the environment lives on). With
 * `replacing`, on a runtime that can, the new container takes over that container's files directly.
 */
export async function createEnvContainer(
  ctx: EngineContext,
  spec: RunSpec,
  stateDir: string,
  imageRef: string,
  image: ImageSummary,
  replacing?: string,
): Promise<ContainerSummary> {
  let secretFile = await prepareHost(ctx, spec, stateDir);
  if (secretFile !== undefined && !(await ctx.runtime.seesHostFiles())) {
    // A remote engine cannot mount a file from this machine: pass the values as variables instead.
    ctx.onEvent({
      type: 'warning',
      message:
        'the engine is remote, so the proxy variables are passed as container environment (visible in docker inspect)',
    });
    secretFile = undefined;
  }
  const resolved = resolveRunEnv(spec, image);
  const labels = {
    ...resolved.labels,
    [BASE_IMAGE_LABEL]: image.id,
    [LABELS.runtime]: ctx.runtime.name,
    [RUN_SETTINGS_LABEL]: JSON.stringify(runSettingsOf(spec)),
  };
  let created: ContainerSummary;
  try {
    const next = { ...resolved, image: imageRef, labels };
    created =
      replacing !== undefined && ctx.runtime.recreateKeepingFiles !== undefined
        ? await ctx.runtime.recreateKeepingFiles(replacing, next, secretFile)
        : await ctx.runtime.createContainer(next, secretFile);
  } catch (error) {
    // Callers create only where no container of this name is left, so nothing needs the files now.
    await removeHostSecrets(stateDir);
    throw error;
  }
  // Later commands find the environment on this runtime whatever auto or the settings say then.
  await writeRuntimeRecord(stateDir, ctx.runtime.name);
  return created;
}

function hookMarker(stateDir: string, containerId: string): string {
  return path.join(stateDir, `${HOOK_MARKER_PREFIX}${containerId.replace(/^sha256:/, '').slice(0, 16)}`);
}

async function runHook(ctx: EngineContext, spec: RunSpec, command: string, kind: string): Promise<void> {
  ctx.onEvent({ type: 'info', message: `${kind} hook: ${command}` });
  const status = await ctx.runtime.exec(
    spec.name,
    withSecrets(spec, [spec.shell, '-c', command]),
    { tty: false, interactive: false },
    // The hook's output goes to stderr. Its stdin is not read (interactive: false), so not made.
    {
      get stdin() {
        return ctx.stdio.stdin;
      },
      stdout: ctx.stdio.stderr,
      stderr: ctx.stdio.stderr,
    },
  );
  if (status !== 0) {
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `the ${kind} hook "${command}" exited with status ${status}`,
      { hint: 'fix the hook in devenv.yml (hooks), then run devenv up again' },
    );
  }
}

/** True when the create hooks have nothing left to do for this container: none, or all completed. */
export function createHooksDone(spec: RunSpec, stateDir: string, container: ContainerSummary): boolean {
  return spec.hooks.create.length === 0 || existsSync(hookMarker(stateDir, container.id));
}

/** Runs the create hooks if they have not completed for this container yet (a failed hook runs again). */
export async function runPendingCreateHooks(
  ctx: EngineContext,
  spec: RunSpec,
  stateDir: string,
  container: ContainerSummary,
): Promise<void> {
  if (createHooksDone(spec, stateDir, container)) return;
  const marker = hookMarker(stateDir, container.id);
  for (const hook of spec.hooks.create) await runHook(ctx, spec, hook, 'create');
  await ensureWritableDir(stateDir, STATE_FOLDER);
  await writeFile(marker, `${new Date().toISOString()}\n`);
}

/**
 * Starts the container (writing its host files first) and runs the hooks: `create` once per
 * container, `start` on every start.
 */
export async function startEnvContainer(
  ctx: EngineContext,
  planned: RunSpec,
  stateDir: string,
  container: ContainerSummary,
): Promise<void> {
  // Hooks run in the shell the container was made with, which its image may have decided.
  const spec = withShell(planned, containerShell(planned, container.labels));
  await prepareHost(ctx, spec, stateDir);
  await ctx.runtime.startContainer(spec.name);
  await runPendingCreateHooks(ctx, spec, stateDir, container);
  for (const hook of spec.hooks.start) await runHook(ctx, spec, hook, 'start');
}
