/** `devenv images`: images on the runtime. */
import { formatTable } from '../ui/plain/table.js';
import { defineCommand } from './command.js';
import { openRuntime } from './project.js';

function human(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)}${units[unit] ?? 'B'}`;
}

export default defineCommand({
  name: 'images',
  summary: 'List images',
  usage: '[-a]',
  options: {
    all: {
      type: 'boolean',
      short: 'a',
      description: 'Also the intermediate images of builds (untagged images another image was built on)',
    },
  },
  async run(ctx) {
    const all = ctx.args.options.all === true;
    const images = await (await openRuntime(ctx)).runtime.listImages({ all });
    if (ctx.args.globals.json) {
      ctx.out.json(images.map((i) => ({ id: i.id, tags: i.tags, created: i.created, size: i.size })));
      return 0;
    }
    const rows = images.flatMap((i) =>
      (i.tags.length === 0 ? ['<none>'] : i.tags).map((tag) => [
        tag,
        i.id.replace(/^sha256:/, '').slice(0, 12),
        i.created?.slice(0, 19).replace('T', ' ') ?? '',
        human(i.size),
      ]),
    );
    ctx.out.result(
      formatTable(
        ['REFERENCE', 'IMAGE ID', 'CREATED', 'SIZE'],
        rows.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '')),
      ),
    );
    return 0;
  },
});
