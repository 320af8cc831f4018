/**
 * The tests run the built CLI and library (dist/), as users do, instead of transpiling src/ again
 * in each test file: on a loaded machine a per-file transpile of the whole tree outlasts any
 * reasonable hook timeout. `npm test` builds first; a bare `vitest run` builds here, once, when
 * dist/ is missing or older than src/, and stops the run if that build fails.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The first source file whose compiled output is missing or older than it, if any. */
export function staleSource(repo: string): string | undefined {
  const src = path.join(repo, 'src');
  const walk = (dir: string): string | undefined => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        const stale = walk(file);
        if (stale !== undefined) return stale;
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = path.join(repo, 'dist', path.relative(src, file).replace(/\.ts$/, '.js'));
        const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs;
        if (builtAt === undefined || builtAt < statSync(file).mtimeMs) return path.relative(repo, file);
      }
    }
    return undefined;
  };
  return walk(src);
}

/** Runs one step of `npm run build`; resolves with its output, rejects with it on failure. */
function run(repo: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: repo, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error === null) resolve(output);
      else reject(new Error(output === '' ? error.message : output));
    });
  });
}

/**
 * `npm run build`: the compiler, then the bundler. The bundler is not optional: tsc writes its own
 * `dist/cli.js` over the bundled one, and tests would then run a CLI users never get.
 */
async function build(repo: string): Promise<void> {
  await run(repo, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  await run(repo, [path.join(repo, 'scripts/bundle.mjs')]);
}

/** Makes sure dist/ is current, building it once when it is not. */
export async function ensureBuiltDist(repo: string, log: (line: string) => void): Promise<void> {
  const stale = staleSource(repo);
  if (stale === undefined) return;
  log(`dist/ is missing or older than ${stale}: building it once (npm run build)…`);
  try {
    await build(repo);
  } catch (error) {
    const output = (error as Error).message.split('\n').slice(-20).join('\n');
    throw new Error(
      `the tests run the built code in dist/, and building it failed:\n${output}\n` +
        'Fix the errors above and run `npm run build`, then run the tests again.',
    );
  }
  const still = staleSource(repo);
  if (still !== undefined)
    throw new Error(
      `dist/ is still older than ${still} after a build: run \`npm run build\` and look at its output.`,
    );
}
