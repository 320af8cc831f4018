/**
 * Runs one sandbox in a child process, the way the CLI would, so a test can kill this process with
 * SIGKILL mid-run. argv: the spec as JSON (without `output`); the program's output is passed on.
 * Started through test/helpers/child-script.ts.
 */
import { runInSandbox } from '../../../../../src/runtime/embedded/sandbox/index.js';
import type { SandboxSpec } from '../../../../../src/runtime/embedded/sandbox/index.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as Omit<SandboxSpec, 'output'>;
const result = await runInSandbox({
  ...spec,
  output: {
    stdout: (chunk) => process.stdout.write(chunk),
    stderr: (chunk) => process.stderr.write(chunk),
  },
});
process.stdout.write(`${JSON.stringify(result)}\n`);
