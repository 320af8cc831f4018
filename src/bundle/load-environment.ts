/**
 * `load FILE` of an environment bundle (load-file.ts reads and verifies it first): its devenv.yml is
 * checked and planned under the name it gets here, the user asked before it reaches into the host,
 * and only then is it restored. The devenv.yml goes to the project folder only where none is (an
 * existing, different one refuses the load up front): written beside its final name before the
 * restore, so a folder that cannot be made or written refuses the load before anything is created,
 * and renamed into place after it, so a failed restore leaves no devenv.yml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { open, rm } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { ConfigError } from '../config/diagnostic.js';
import { withConfigName } from '../config/rename.js';
import { validateConfigText } from '../config/validate.js';
import type { EngineContext } from '../engine/engine-context.js';
import { withEnvLock } from '../engine/env-lock.js';
import { planFor, stateDirOf } from '../engine/project.js';
import { DevenvError } from '../errors.js';
import { commitPartial, tempNameFor } from '../util/atomic.js';
import { ensureWritableDir } from '../util/fs-problem.js';
import type { BundleManifest } from './format.js';
import type { ReadBundle } from './load.js';
import type { LoadFileRequest, LoadFileResult } from './load-file.js';
import { redactProxyCredentials } from './redact.js';
import { ensureNameFree, hostReach, restoreBundle } from './restore.js';

/** A read bundle that holds an environment, not only images. */
export type EnvironmentBundle = ReadBundle & { manifest: BundleManifest; configText: string };

/** Restores the environment of `bundle`; see the module comment. The caller cleans the bundle up. */
export async function loadEnvironment(
  ctx: EngineContext,
  request: LoadFileRequest,
  bundle: EnvironmentBundle,
): Promise<LoadFileResult> {
  const { file, projectDir, caller } = request;
  const target = path.join(projectDir, 'devenv.yml');
  // Under a new name, the devenv.yml written here names the new environment, so `up` drives it.
  const configText =
    request.name === undefined ? bundle.configText : withConfigName(bundle.configText, request.name);
  if (existsSync(target) && redactProxyCredentials(readFileSync(target, 'utf8')).text !== configText) {
    throw new DevenvError('DEVENV_FILE_EXISTS', `${target} exists and differs from the bundle's devenv.yml`, {
      hint: 'load into another folder with -C DIR',
    });
  }
  const checked = validateConfigText(bundle.configText, {
    file: `${file}:devenv/devenv.yml`,
    projectDir,
    homeDir: caller.homeDir,
  });
  if (!checked.ok) throw new ConfigError(checked.diagnostics, `${file}:devenv/devenv.yml`);
  const name = request.name ?? checked.config.name;
  await ensureNameFree(ctx, name);
  const stateDir = stateDirOf(caller, name);
  const plan = await planFor(
    { ...checked.config, name },
    { projectDir, configFile: target },
    caller,
    stateDir,
  );
  const reach = hostReach(plan, projectDir);
  if (reach.length > 0 && !request.allowHostAccess) {
    const question = `${name} asks for ${reach.join(', ')}. Allow?`;
    if (!(await ctx.confirm(question)))
      throw new DevenvError('DEVENV_ABORTED', `not restored: ${name} asks for ${reach.join(', ')}`, {
        hint: 'review devenv/devenv.yml in the bundle, then run again with --yes to allow it',
      });
  }
  const staged = existsSync(target) ? undefined : await stageConfig(target, configText);
  try {
    const container = await withEnvLock(ctx, name, 'devenv load', () =>
      restoreBundle(ctx, bundle, plan, stateDir),
    );
    if (staged !== undefined) await commitPartial(staged, target);
    return { kind: 'environment', name, container: container.id, image: bundle.manifest.image.id };
  } finally {
    if (staged !== undefined) await rm(staged, { force: true });
  }
}

/** Writes `text` beside `target` (making its folder), for {@link commitPartial} to publish. */
async function stageConfig(target: string, text: string): Promise<string> {
  await ensureWritableDir(path.dirname(target), {
    label: 'project folder',
    hint: 'load into a folder you can write with -C DIR',
  });
  const staged = tempNameFor(target);
  const handle = await open(staged, 'wx', 0o644);
  try {
    await handle.writeFile(text);
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  } finally {
    await handle.close();
  }
  return staged;
}
