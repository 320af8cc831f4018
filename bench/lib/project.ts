/** Temporary projects and the untimed commands that set them up. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { BenchContext } from './types.js';

/** File tree: path relative to the project → contents. */
export type Tree = Record<string, string>;

/** Writes `tree` into `<workDir>/<name>` and returns that folder. */
export async function makeProject(ctx: BenchContext, name: string, tree: Tree): Promise<string> {
  const dir = path.join(ctx.workDir, name);
  for (const [rel, content] of Object.entries(tree)) {
    const full = path.join(dir, rel);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, content);
  }
  return dir;
}

/** A devenv.yml on the local busybox image, with no network (the engine has no bridge). */
export function busyboxConfig(ctx: BenchContext, name: string, lines: readonly string[] = []): string {
  return [`name: ${name}`, `base: ${ctx.services.images.busybox}`, 'network: none', ...lines, ''].join('\n');
}

/** The argv that runs the built devenv CLI on the project in `dir`. */
export function devenvArgv(ctx: BenchContext, dir: string, args: readonly string[]): string[] {
  return [process.execPath, ctx.cli, '-C', dir, ...args];
}

/** Runs a setup command to completion in the benchmark environment; throws with its stderr tail. */
export async function setup(ctx: BenchContext, argv: readonly string[]): Promise<string> {
  const [bin, ...args] = argv;
  if (bin === undefined) throw new Error('setup: empty command');
  const result = await execa(bin, args, { env: ctx.env, extendEnv: false, reject: false, input: '' });
  if (result.exitCode !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-6).join('\n');
    throw new Error(`${argv.slice(0, 4).join(' ')} failed (exit ${String(result.exitCode)}): ${tail}`);
  }
  return result.stdout;
}
