/**
 * `devenv init [--template T]`: write a commented devenv.yml from one of the templates in
 * templates/init, and the JSON schema beside it in `.devenv/`, so the `$schema` line is a path inside
 * the project that works in every clone, whoever installed devenv where.
 */
import { existsSync } from 'node:fs';
import { mkdir } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { ConfigError } from '../config/diagnostic.js';
import { configJsonSchema } from '../config/json-schema.js';
import { validateConfigText, nameFromFolder } from '../config/validate.js';
import { checkName } from '../config/values.js';
import { DevenvError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { asFsError } from '../util/fs-problem.js';
import { initTemplateNames, readInitTemplate } from '../config/templates.js';
import { defineCommand } from './command.js';

/** Where init vends the schema, relative to the folder of devenv.yml (a path for `$schema`). */
const VENDORED_SCHEMA = './.devenv/devenv.schema.json';

export default defineCommand({
  name: 'init',
  summary: 'Write a commented devenv.yml from a template',
  usage: '[--template T] [--name N]',
  options: {
    template: {
      type: 'string',
      short: 't',
      value: 'T',
      description: 'Template: alpine, arch, debian, embedded, fedora or ubuntu (default)',
    },
    name: { type: 'string', value: 'N', description: 'Environment name (default: the folder name)' },
    force: { type: 'boolean', description: 'Overwrite an existing devenv.yml' },
  },
  async run(ctx) {
    const dir = path.resolve(ctx.cwd, ctx.args.globals.dir ?? '.');
    const file = path.resolve(ctx.cwd, ctx.args.globals.file ?? path.join(dir, 'devenv.yml'));
    const template =
      typeof ctx.args.options['template'] === 'string' ? ctx.args.options['template'] : 'ubuntu';
    const names = await initTemplateNames();
    if (!names.includes(template))
      throw new UsageError(`there is no template "${template}"`, `choose one of: ${names.join(', ')}`);
    const given = ctx.args.options['name'];
    const name = typeof given === 'string' ? given : nameFromFolder(path.dirname(file));
    if (name === undefined)
      throw new UsageError(
        `the folder name "${path.basename(path.dirname(file))}" is not a valid environment name`,
        'pass --name NAME',
      );
    const problem = checkName(name);
    if (problem !== undefined) throw new UsageError(`--name ${problem}`);
    if (existsSync(file) && ctx.args.options['force'] !== true) {
      throw new DevenvError('DEVENV_FILE_EXISTS', `${file} already exists`, {
        hint: 'edit it, or pass --force to replace it',
      });
    }
    const text = (await readInitTemplate(template))
      .replaceAll('{{name}}', name)
      .replaceAll('{{schema}}', VENDORED_SCHEMA);
    const checked = validateConfigText(text, { file, projectDir: path.dirname(file), homeDir: ctx.homeDir });
    if (!checked.ok) throw new ConfigError(checked.diagnostics, `template ${template}`);
    // The schema first, so devenv.yml never names a file that is not there.
    const schemaFile = path.join(path.dirname(file), VENDORED_SCHEMA);
    const cannotWrite = (target: string) => async (error: unknown) => {
      throw await asFsError(
        error,
        target,
        `cannot write ${target}`,
        'choose a folder you can write with -C DIR',
      );
    };
    // Not recursive: init writes into the project folder, it does not create one.
    await mkdir(path.dirname(schemaFile)).catch((error: unknown) =>
      (error as NodeJS.ErrnoException).code === 'EEXIST' ? undefined : cannotWrite(schemaFile)(error),
    );
    await writeFileAtomic(schemaFile, `${JSON.stringify(configJsonSchema(), null, 2)}\n`).catch(
      cannotWrite(schemaFile),
    );
    await writeFileAtomic(file, text).catch(cannotWrite(file));
    if (ctx.args.globals.json) ctx.out.json({ file, template, name });
    else
      ctx.out.info(`wrote ${path.relative(ctx.cwd, file) || file} (template ${template}); next: devenv up`);
    return 0;
  },
});
