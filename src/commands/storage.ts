/**
 * `devenv storage move DIR`: moves the embedded runtime's store (the seed's "move Docker's storage to
 * the SSD") and records the new place as `storage` in the settings file, written as the switch (see
 * moveEmbeddedStore).
 */
import path from '../util/node-path.js';
import { settingsPath } from '../config/settings.js';
import { updateSettingsFile } from '../config/settings-file.js';
import { UsageError } from '../errors.js';
import { moveEmbeddedStore } from '../runtime/factory.js';
import { defineCommand } from './command.js';
import { runtimeHost, settingsOf } from './project.js';

export default defineCommand({
  name: 'storage',
  summary: "Move the embedded runtime's store: storage move DIR",
  usage: 'move DIR',
  options: {},
  async run(ctx) {
    const [verb, dir, extra] = ctx.args.positionals;
    if (verb !== 'move' || dir === undefined || extra !== undefined)
      throw new UsageError('storage takes: move DIR', 'example: devenv storage move /mnt/ssd/devenv');
    const to = path.resolve(ctx.cwd, dir);
    const file = settingsPath(ctx.env, ctx.homeDir);
    const { from, ...result } = await moveEmbeddedStore(runtimeHost(ctx, await settingsOf(ctx)), to, {
      switchTo: (root) => updateSettingsFile(file, 'storage', root),
      onProgress: (message) => {
        ctx.out.info(message);
      },
    });
    if (from.source === 'flag' || from.source === 'DEVENV_ROOT')
      ctx.out.warn(
        `the store was chosen by ${from.source === 'flag' ? '--root' : 'DEVENV_ROOT'}, which still wins over the settings; point it at ${result.root}`,
      );
    if (ctx.args.globals.json)
      ctx.out.json({
        outcome: 'success',
        from: from.root,
        to: result.root,
        bytes: result.bytes,
        settings: file,
      });
    else
      ctx.out.info(
        `moved the store (${(result.bytes / 1e6).toFixed(1)} MB) from ${from.root} to ${result.root}; ${file} now says storage: ${result.root}`,
      );
    return 0;
  },
});
