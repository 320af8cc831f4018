/** `devenv init [--template T]`: write a commented devenv.yml from one of the templates in templates/init. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/diagnostic.js';
import { validateConfigText, nameFromFolder } from '../config/validate.js';
import { checkName } from '../config/values.js';
import { DevenvError, EXIT_USAGE, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { initTemplateNames, readInitTemplate } from '../util/templates.js';
import { defineCommand } from './command.js';

/** devenv.schema.json as shipped with this copy of devenv. */
export const SCHEMA_FILE = fileURLToPath(new URL('../../devenv.schema.json', import.meta.url));

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
        exitCode: EXIT_USAGE,
      });
    }
    const schema = path.relative(path.dirname(file), SCHEMA_FILE);
    const text = (await readInitTemplate(template))
      .replaceAll('{{name}}', name)
      .replaceAll('{{schema}}', schema);
    const checked = validateConfigText(text, { file, projectDir: path.dirname(file), homeDir: ctx.homeDir });
    if (!checked.ok) throw new ConfigError(checked.diagnostics, `template ${template}`);
    await writeFileAtomic(file, text);
    if (ctx.args.globals.json) ctx.out.json({ file, template, name });
    else
      ctx.out.info(`wrote ${path.relative(ctx.cwd, file) || file} (template ${template}); next: devenv up`);
    return 0;
  },
});
