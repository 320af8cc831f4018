/**
 * Runs store and archive operations in real child processes, for lock, crash and concurrency tests.
 * The sources are transpiled once per test file with the project's own TypeScript into a temp dir
 * (import specifiers already end in .js), next to a node_modules link, so children start in
 * milliseconds without a build step.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import ts from 'typescript';
import { tempDir } from './fixtures.js';

const repo = fileURLToPath(new URL('../../../../../', import.meta.url));
let compiled: string | undefined;

function transpileTree(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) transpileTree(source, path.join(to, entry.name));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      const output = ts.transpileModule(readFileSync(source, 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2023,
          verbatimModuleSyntax: true,
        },
        fileName: source,
      });
      mkdirSync(to, { recursive: true });
      writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), output.outputText);
    }
  }
}

/** Transpiles src/ and this test folder's helpers once; returns the child entry script. */
export function childScript(): string {
  if (compiled === undefined) {
    const out = tempDir('devenv-child-');
    transpileTree(path.join(repo, 'src'), path.join(out, 'src'));
    transpileTree(
      path.join(repo, 'test/runtime/embedded/store/helpers'),
      path.join(out, 'test/runtime/embedded/store/helpers'),
    );
    writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
    symlinkSync(path.join(repo, 'node_modules'), path.join(out, 'node_modules'));
    compiled = path.join(out, 'test/runtime/embedded/store/helpers/child-main.js');
  }
  return compiled;
}

/** How a child ended. */
export interface ChildResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/** A started child: its stdout as it comes, and its result. */
export interface RunningChild {
  stdout: NodeJS.ReadableStream;
  done: Promise<ChildResult>;
}

/** Starts `child-main.js` with `args`; `failpoints` sets DEVENV_FAILPOINTS. `done` never rejects. */
export function startChild(
  args: readonly string[],
  options: { failpoints?: string; timeoutMs?: number } = {},
): RunningChild {
  const child = execa(process.execPath, [childScript(), ...args], {
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    env: { DEVENV_FAILPOINTS: options.failpoints ?? '' },
  });
  const done = child.then((result) => ({
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  }));
  return { stdout: child.stdout, done };
}

/** Runs `child-main.js` with `args` to the end. */
export async function runChild(
  args: readonly string[],
  options: { failpoints?: string; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return startChild(args, options).done;
}
