/** Runs the built CLI (dist/devenv.cjs, the package's bin) as a real process, the way users run it. */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

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

/** Runs `devenv ...args`; never throws on a non-zero exit. */
export async function devenv(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { NO_COLOR: '1', ...options.env },
    input: options.input ?? '',
    reject: false,
    // A build or a squash beside a CPU-heavy job takes minutes; a hung command still fails.
    timeout: options.timeout ?? 280_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
