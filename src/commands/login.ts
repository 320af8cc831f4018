/** `devenv login REGISTRY -u USER`: store registry credentials; the password is read from stdin, never argv. */
import { text } from 'node:stream/consumers';
import { UsageError } from '../errors.js';
import { defineCommand } from './command.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'login',
  summary: 'Log in to a registry (password on stdin)',
  usage: 'REGISTRY -u USER  (password on stdin)',
  options: { username: { type: 'string', short: 'u', value: 'USER', description: 'User name' } },
  async run(ctx) {
    const registry = ctx.args.positionals[0];
    const username = ctx.args.options['username'];
    if (registry === undefined || typeof username !== 'string')
      throw new UsageError(
        'login takes a registry and -u USER; the password comes on stdin',
        'example: printf %s "$TOKEN" | devenv login registry.example.com -u me',
      );
    if (ctx.stdin.isTTY === true) ctx.out.info('password (then ctrl-d):');
    const password = (await text(ctx.stdin)).replace(/\r?\n$/, '');
    if (password === '') throw new UsageError('no password on stdin');
    await (await openRuntime(ctx)).runtime.login(registry, username, password);
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', registry, username });
    else ctx.out.info(`logged in to ${registry} as ${username}`);
    return 0;
  },
});
