/**
 * Runs the layer applier in a real child process: apply-child.ts as transpiled by the test run's
 * global setup, loading the built dist/ (Node 20 cannot run TypeScript).
 */
import { execa } from 'execa';
import { childScript } from '../../../../helpers/child-script.js';

/** The runnable apply-child script; `cleanup` is a no-op kept for the callers' teardown. */
export function buildApplyChild(): Promise<{ script: string; cleanup: () => Promise<void> }> {
  return Promise.resolve({
    script: childScript(new URL('./apply-child.ts', import.meta.url)),
    cleanup: () => Promise.resolve(),
  });
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
