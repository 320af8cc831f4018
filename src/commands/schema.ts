/** `devenv schema`: print the JSON schema of devenv.yml (the same text as devenv.schema.json). */
import { configJsonSchema } from '../config/json-schema.js';
import { defineCommand } from './command.js';

export default defineCommand({
  name: 'schema',
  summary: 'Print the JSON schema of devenv.yml',
  usage: '',
  options: {},
  run(ctx) {
    ctx.out.result(JSON.stringify(configJsonSchema(), null, 2));
    return Promise.resolve(0);
  },
});
