/**
 * Peak resident memory of a whole command, as GNU time's "Maximum resident set size" reports it
 * (GNU time is not installed on the benchmark machines). A small python3 parent runs the command and
 * reaps it with wait4(2), whose rusage carries the kernel's high-water mark of the command's RSS
 * (the largest of the command itself and every descendant it waited for). The kernel keeps that
 * figure exactly, at no cost to the command; sampling /proc/PID/status from outside would miss a
 * peak between two samples.
 */
import { execa } from 'execa';
import { median } from './median.js';
import type { BenchContext, Row } from './types.js';

const MEASURE = [
  'import os, sys',
  'pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)',
  '_, status, usage = os.wait4(pid, 0)',
  // ru_maxrss is in KiB on Linux.
  'print(usage.ru_maxrss)',
  'sys.exit(os.waitstatus_to_exitcode(status))',
].join('\n');

/** One run's peak RSS of `argv` in MiB; throws when the command fails. */
async function peakOnce(ctx: BenchContext, argv: readonly string[]): Promise<number> {
  const result = await execa('/usr/bin/python3', ['-c', MEASURE, ...argv], {
    env: ctx.env,
    extendEnv: false,
    reject: false,
    input: '',
  });
  if (result.exitCode !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-4).join(' / ');
    throw new Error(`${argv.slice(0, 4).join(' ')} failed (exit ${String(result.exitCode)}): ${tail}`);
  }
  const kib = Number(result.stdout.trim().split('\n').at(-1));
  if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no peak RSS from ${argv.join(' ')}`);
  return kib / 1024;
}

/** The median peak RSS of `argv` in MiB over `ctx.runs` runs (after `ctx.warmup` untimed ones). */
export async function peakRss(ctx: BenchContext, argv: readonly string[]): Promise<number> {
  for (let i = 0; i < ctx.warmup; i++) await peakOnce(ctx, argv);
  const peaks: number[] = [];
  for (let i = 0; i < ctx.runs; i++) peaks.push(await peakOnce(ctx, argv));
  return median(peaks);
}

/** A row comparing the peak RSS of devenv's command with a peer's; a failure comes back in the row. */
export async function compareRss(
  ctx: BenchContext,
  benchmark: string,
  devenv: readonly string[],
  peer: { name: string; argv: readonly string[] },
): Promise<Row> {
  ctx.log(`${benchmark}: devenv vs ${peer.name}`);
  try {
    return {
      benchmark,
      peer: peer.name,
      devenvMs: await peakRss(ctx, devenv),
      peerMs: await peakRss(ctx, peer.argv),
      unit: 'MiB',
    };
  } catch (error) {
    return {
      benchmark,
      peer: peer.name,
      error: error instanceof Error ? error.message : String(error),
      unit: 'MiB',
    };
  }
}
