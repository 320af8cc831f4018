/**
 * Some tests start helper scripts written in TypeScript (test/…/helpers/*.ts) as real child
 * processes. Node 20 cannot run TypeScript, so this transpiles every non-test .ts file under test/
 * once per run, file by file (no type checking, a few milliseconds each), into a scratch tree whose
 * `src` is a link to the built dist/: a helper's `../src/x.js` import then loads the built module,
 * and nothing of src/ is compiled twice.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

function transpileTree(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) transpileTree(source, path.join(to, entry.name));
    else if (entry.name.endsWith('.ts') && !/\.(test|d)\.ts$/.test(entry.name)) {
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

/**
 * Transpiles the test helpers of `repo` into a new directory and returns it. The directory is
 * world-readable because some tests run a helper as another user.
 */
export function compileChildScripts(repo: string): string {
  const out = mkdtempSync(path.join(os.tmpdir(), 'devenv-test-helpers-'));
  chmodSync(out, 0o755);
  transpileTree(path.join(repo, 'test'), path.join(out, 'test'));
  writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  symlinkSync(path.join(repo, 'node_modules'), path.join(out, 'node_modules'));
  symlinkSync(path.join(repo, 'dist'), path.join(out, 'src'));
  return out;
}
