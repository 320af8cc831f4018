/**
 * Runs commands under hyperfine and returns their medians in milliseconds. Commands run without a
 * shell (`--shell=none`), so nothing but the command itself is timed. The runs are split into
 * rounds, each a hyperfine call over all the commands, so a neighbour's burst of load on a shared
 * machine falls on every command alike instead of on whichever hyperfine was timing then. Progress
 * goes to our stderr; the per-run times come back through `--export-json`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { shellJoin } from '../../src/plan/quote.js';
import { median } from './median.js';

/** One command to time. */
export interface TimedCommand {
  /** Shown in hyperfine's progress output. */
  name: string;
  /** The command and its arguments (quoted for hyperfine here; no shell runs it). */
  argv: readonly string[];
  /** Run untimed before each of this command's runs, warmups included. */
  prepare?: readonly string[] | undefined;
}

export interface HyperfineOptions {
  /** Timed runs per command, over all rounds. */
  runs: number;
  /** Untimed runs per command, in the first round only. */
  warmup: number;
  /** The whole environment of hyperfine and so of the commands. */
  env: Record<string, string>;
}

interface HyperfineJson {
  results: { command: string; times: number[] }[];
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('hyperfine', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.pipe(process.stderr, { end: false });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, stderr });
    });
  });
}

/** Run counts per round: at least two runs each (hyperfine's minimum), at most five rounds. */
export function rounds(runs: number): number[] {
  const count = Math.max(1, Math.min(5, Math.floor(runs / 2)));
  return Array.from({ length: count }, (_, i) => Math.floor(runs / count) + (i < runs % count ? 1 : 0));
}

async function round(
  commands: readonly TimedCommand[],
  runs: number,
  warmup: number,
  env: Record<string, string>,
  json: string,
): Promise<number[][]> {
  const args = [
    '--shell=none',
    '--style=basic',
    `--warmup=${warmup}`,
    `--runs=${runs}`,
    `--export-json=${json}`,
  ];
  // --prepare is given once per command or not at all; `true` stands in where a command needs none.
  if (commands.some((c) => c.prepare !== undefined))
    for (const c of commands) args.push('--prepare', shellJoin(c.prepare ?? ['true']));
  for (const c of commands) args.push('--command-name', c.name);
  args.push(...commands.map((c) => shellJoin(c.argv)));
  const result = await run(args, env);
  if (result.code !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-4).join(' / ');
    throw new Error(`hyperfine exited with ${String(result.code)}: ${tail}`);
  }
  const parsed = JSON.parse(await readFile(json, 'utf8')) as HyperfineJson;
  return parsed.results.map((r) => r.times);
}

/** Times `commands`; resolves with their medians (ms) in the same order. */
export async function hyperfine(
  commands: readonly TimedCommand[],
  options: HyperfineOptions,
): Promise<number[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devenv-hyperfine-'));
  const times: number[][] = commands.map(() => []);
  try {
    for (const [i, runs] of rounds(options.runs).entries()) {
      const json = path.join(dir, `round-${i}.json`);
      const got = await round(commands, runs, i === 0 ? options.warmup : 0, options.env, json);
      got.forEach((t, c) => times[c]?.push(...t));
    }
    return times.map((t) => median(t) * 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
