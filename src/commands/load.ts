/** `devenv load FILE [--name N] [--yes]`: restore an environment saved with devenv save (or load a plain image archive). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadImageArchive, readBundle } from '../bundle/load.js';
import { redactProxyCredentials } from '../bundle/redact.js';
import { ensureNameFree, hostReach, restoreBundle } from '../bundle/restore.js';
import { ConfigError } from '../config/diagnostic.js';
import { withEnvLock } from '../engine/env-lock.js';
import { withConfigName } from '../config/rename.js';
import { validateConfigText } from '../config/validate.js';
import { checkName } from '../config/values.js';
import { DevenvError, UsageError } from '../errors.js';
import { compilePlan } from '../plan/compile-plan.js';
import { writeFileAtomic } from '../util/atomic.js';
import { envStateDir } from '../util/paths.js';
import { loadFragments } from '../config/templates.js';
import { defineCommand } from './context.js';
import { openRuntime, settingsOf } from './project.js';

export default defineCommand({
  name: 'load',
  summary: 'Restore an environment from a tarball made by devenv save',
  usage: 'FILE [--name N] [--yes]',
  options: {
    name: { type: 'string', value: 'N', description: 'Restore it under another name' },
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'Allow host access (privileged, host paths, devices) without asking',
    },
  },
  async run(ctx) {
    const file = ctx.args.positionals[0];
    if (file === undefined) throw new UsageError('load takes the tarball to restore');
    const given = ctx.args.options['name'];
    if (typeof given === 'string' && checkName(given) !== undefined)
      throw new UsageError(`--name ${checkName(given) ?? ''}`);
    const engine = await openRuntime(ctx);
    const bundle = await readBundle(engine, path.resolve(ctx.cwd, file));
    try {
      if (bundle.manifest === undefined || bundle.configText === undefined) {
        const loaded = await loadImageArchive(engine, bundle.file);
        if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', loaded });
        else for (const ref of loaded) ctx.out.info(`loaded ${ref}`);
        return 0;
      }
      const projectDir = path.resolve(ctx.cwd, ctx.args.globals.dir ?? '.');
      const target = path.join(projectDir, 'devenv.yml');
      // Under --name, the devenv.yml written here names the new environment, so `up` drives it.
      const configText =
        typeof given === 'string' ? withConfigName(bundle.configText, given) : bundle.configText;
      if (existsSync(target) && redactProxyCredentials(readFileSync(target, 'utf8')).text !== configText) {
        throw new DevenvError(
          'DEVENV_FILE_EXISTS',
          `${target} exists and differs from the bundle's devenv.yml`,
          { hint: 'load into another folder with -C DIR' },
        );
      }
      const checked = validateConfigText(bundle.configText, {
        file: `${file}:devenv/devenv.yml`,
        projectDir,
        homeDir: ctx.homeDir,
      });
      if (!checked.ok) throw new ConfigError(checked.diagnostics, `${file}:devenv/devenv.yml`);
      const name = typeof given === 'string' ? given : checked.config.name;
      await ensureNameFree(engine, name);
      const stateDir = envStateDir(ctx.env, ctx.homeDir, name);
      const settings = await settingsOf(ctx);
      const plan = compilePlan(
        { ...checked.config, name },
        {
          projectDir,
          configFile: target,
          homeDir: ctx.homeDir,
          hostUser: ctx.hostUser,
          env: ctx.env,
          stateDir,
          fragments: await loadFragments(),
          settings,
        },
      );
      const reach = hostReach(plan, projectDir);
      if (reach.length > 0 && ctx.args.options['yes'] !== true) {
        const question = `${name} asks for ${reach.join(', ')}. Allow?`;
        if (!(await engine.confirm(question)))
          throw new DevenvError('DEVENV_ABORTED', `not restored: ${name} asks for ${reach.join(', ')}`, {
            hint: 'review devenv/devenv.yml in the bundle, then run again with --yes to allow it',
          });
      }
      const container = await withEnvLock(engine, name, 'devenv load', () =>
        restoreBundle(engine, bundle, plan, stateDir),
      );
      if (!existsSync(target)) await writeFileAtomic(target, configText);
      if (ctx.args.globals.json)
        ctx.out.json({
          outcome: 'success',
          name,
          container: container.id,
          image: bundle.manifest.image.id,
          project: projectDir,
        });
      else ctx.out.info(`restored ${name} in ${projectDir}; start it with: devenv up`);
      return 0;
    } finally {
      await bundle.cleanup();
    }
  },
});
