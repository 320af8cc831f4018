/**
 * `devenv tui` (and `devenv` alone on a terminal): the full-screen view of every environment. This
 * file opens the runtimes and the project as the other commands do; the TUI itself is loaded with
 * `import()` so no other command pays for Ink.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/diagnostic.js';
import { findConfig } from '../config/find-config.js';
import { UsageError } from '../errors.js';
import { runtimeForEnvironment, runtimesToList } from '../runtime/factory.js';
import { wantsColor } from '../ui/plain/output.js';
import { stateHome } from '../util/paths.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './command.js';
import type { Project } from '../engine/image.js';
import { engineContext } from './engine-for-command.js';
import { callerOf, runtimeHost, settingsOf } from './project.js';
import { loadCachedProject } from './project-cache.js';

/** The executable (the launcher), so attach and shell run devenv itself in the terminal the TUI hands over. */
const CLI_SCRIPT = fileURLToPath(new URL('../devenv.cjs', import.meta.url));

/** Global flags a child devenv must repeat to see the same runtimes. */
function repeatedGlobals(ctx: CommandContext): string[] {
  const { root, context } = ctx.args.globals;
  return [
    ...(root === undefined ? [] : ['--root', root]),
    ...(context === undefined ? [] : ['--context', context]),
  ];
}

export default defineCommand({
  name: 'tui',
  summary: 'Open the full-screen view of every environment (also: devenv alone on a terminal)',
  usage: '',
  options: {},
  async run(ctx) {
    const { stdout, stderr } = ctx.out.streams;
    if (ctx.stdin.isTTY !== true || stdout.isTTY !== true)
      throw new UsageError(
        'devenv tui needs a terminal',
        'run it in a terminal, or use devenv ls and devenv status',
      );
    // The TUI's modules (Ink, React) load while the runtimes and the project are read.
    const tuiModule = import('../ui/tui/index.js');
    tuiModule.catch(() => undefined);
    const settings = await settingsOf(ctx);
    const host = runtimeHost(ctx, settings);
    const runtimes = await runtimesToList(
      { flag: ctx.args.globals.runtime, settings: settings.runtime },
      host,
    );
    const locate = {
      cwd: ctx.cwd,
      dir: ctx.args.globals.dir,
      file: ctx.args.globals.file,
      homeDir: ctx.homeDir,
    };
    const found = await findConfig(locate);
    const caller = callerOf(ctx, settings);
    // Every read takes the plan cache, as the other commands do: its key holds devenv.yml's hash,
    // so an edit is always a miss (a full load with yaml and zod), and a refresh with no edit, the
    // first one before the first frame included, loads neither.
    const loadProject = async (): Promise<Project> => (await loadCachedProject(ctx)).project;
    const readProject = async () => {
      if (found === undefined) return { kind: 'none' as const };
      try {
        return { kind: 'ok' as const, project: await loadProject() };
      } catch (error) {
        if (error instanceof ConfigError) return { kind: 'invalid' as const, error };
        throw error;
      }
    };
    const first = await readProject();
    let projectRuntime = runtimes[0];
    if (first.kind === 'ok') {
      const chosen = await runtimeForEnvironment(
        { flag: ctx.args.globals.runtime, settings: settings.runtime },
        host,
        first.project.plan.name,
      );
      projectRuntime = runtimes.find((r) => r.name === chosen.name) ?? chosen;
    }
    const { runTui, engineAdapter, runtimeChanges, projectChanges } = await tuiModule;
    const projectEngine = projectRuntime === undefined ? undefined : engineContext(ctx, projectRuntime);
    const engine = engineAdapter({
      runtimes,
      projectRuntime,
      readProject,
      context: (runtime) => engineContext(ctx, runtime),
      cli: { execPath: process.execPath, script: CLI_SCRIPT, globals: repeatedGlobals(ctx) },
      editor: ctx.env['VISUAL'] || ctx.env['EDITOR'] || undefined,
      configFile: found?.file,
      cwd: ctx.cwd,
      caller,
      version: ctx.version,
    });
    // Ink takes Node's TTY stream classes; main hands down the process's own (checked above).
    /* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment */
    return runTui({
      engine,
      stdin: ctx.stdin as NodeJS.ReadStream,
      stdout: stdout as NodeJS.WriteStream,
      stderr: stderr as NodeJS.WriteStream,
      /* eslint-enable @typescript-eslint/no-unsafe-class-instance-assignment */
      colour: wantsColor(stdout, ctx.env),
      signal: ctx.signal,
      changes: runtimeChanges(runtimes, stateHome(ctx.env, ctx.homeDir)),
      watch:
        first.kind !== 'ok' || found === undefined || projectEngine === undefined
          ? undefined
          : projectChanges({
              project: first.project,
              configFile: found.file,
              loadProject,
              runtime: projectEngine.runtime,
            }),
    });
  },
});
