/** Runs the built CLI (dist/devenv.cjs, the package's bin) as a real process, the way users run it. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** Path of the built executable: the launcher (src/launch.ts), which `dist/cli.js` also loads. */
export const CLI = fileURLToPath(new URL('../../dist/devenv.cjs', import.meta.url));

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeout?: number;
}

/** What a finished CLI run left behind. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * `pid` and every process under it, one `ps` line each: pid, parent, seconds alive, state, the
 * kernel function it sleeps in (wchan) and its command line. What a hung command was waiting on.
 */
export function processTree(pid: number): string {
  let table: string;
  try {
    table = execFileSync('ps', ['-eo', 'pid=,ppid=,etimes=,stat=,wchan:32=,args='], { encoding: 'utf8' });
  } catch (error) {
    return `(ps failed: ${String(error)})`;
  }
  const rows = table
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', parent = ''] = line.trim().split(/\s+/);
      return { pid: Number(id), ppid: Number(parent), line: line.trim() };
    });
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const row of rows)
      if (!tree.has(row.pid) && tree.has(row.ppid)) {
        tree.add(row.pid);
        grew = true;
      }
  }
  return rows
    .filter((row) => tree.has(row.pid))
    .map((row) => `  ${row.line.slice(0, 300)}`)
    .join('\n');
}

/**
 * Runs `devenv ...args`; never throws on a non-zero exit. A run still going after `timeout` is
 * stopped (SIGTERM, then SIGKILL), and its stderr ends with the process tree it had then, so a hang
 * in CI leaves the evidence of what it waited on.
 */
export async function devenv(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  // A build or a squash beside a CPU-heavy job takes minutes; a hung command still fails.
  const timeout = options.timeout ?? 280_000;
  const child = execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { NO_COLOR: '1', ...options.env },
    input: options.input ?? '',
    reject: false,
  });
  let hung: string | undefined;
  const timer = setTimeout(() => {
    hung = child.pid === undefined ? '' : processTree(child.pid);
    child.kill();
  }, timeout);
  try {
    const result = await child;
    const stderr =
      hung === undefined
        ? result.stderr
        : `${result.stderr}\n[test helper] devenv ${args.join(' ')} was stopped after ${timeout} ms; its processes then (pid ppid seconds state wchan command):\n${hung}`;
    return { exitCode: hung === undefined ? (result.exitCode ?? -1) : -1, stdout: result.stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
