/**
 * Runs the layer applier in a real child process. Node 20 cannot run TypeScript, so the child script
 * is bundled once per test file with vite (already a dev dependency) into a scratch .mjs that imports
 * its npm dependencies from this checkout's node_modules.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { build } from 'vite';

const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./apply-child.ts', import.meta.url));

/**
 * Bundles apply-child.ts into a runnable .mjs inside the repo (so its imports resolve); returns its
 * path and the removal of the bundle.
 */
export async function buildApplyChild(): Promise<{ script: string; cleanup: () => Promise<void> }> {
  const outDir = path.join(REPO, 'node_modules', '.cache', 'devenv-layer-tests', String(process.pid));
  await mkdir(outDir, { recursive: true });
  await build({
    configFile: false,
    logLevel: 'silent',
    root: REPO,
    build: {
      ssr: ENTRY,
      outDir,
      emptyOutDir: true,
      minify: false,
      rollupOptions: { output: { format: 'es', entryFileNames: 'apply-child.mjs' } },
    },
  });
  return {
    script: path.join(outDir, 'apply-child.mjs'),
    cleanup: () => rm(outDir, { recursive: true, force: true }),
  };
}

/** How a child run ended. */
export interface ChildResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/** Runs the bundled child (after `prefix`, e.g. setpriv); never throws on a failed exit. */
export async function runApplyChild(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  prefix: string[] = [],
): Promise<ChildResult> {
  const [bin, ...rest] = [...prefix, process.execPath, script, ...args];
  const result = await execa(bin!, rest, { env, reject: false, timeout: 60_000 });
  return { exitCode: result.exitCode, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}
