/**
 * The devcontainers CLI, the peer for `up` and `exec`. It is not a dependency of devenv: it is
 * installed on demand into the benchmark cache with npm, once, and reused by later runs.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** The installed CLI, or why it could not be had. */
export type DevcontainerCli = { bin: string; version: string } | { unavailable: string };

const PACKAGE = '@devcontainers/cli';

/** The gist of npm's error output: its error code (ECONNREFUSED, E404…), else its first line. */
function npmReason(stderr: string): string {
  const code = /^npm (?:error|ERR!) code (\S+)/m.exec(stderr)?.[1];
  return code ?? stderr.trim().split('\n')[0] ?? 'no output';
}

/** Installs `@devcontainers/cli` under `<cacheDir>/devcontainers-cli` unless it is there already. */
export async function ensureDevcontainerCli(
  cacheDir: string,
  log: (message: string) => void,
): Promise<DevcontainerCli> {
  const prefix = path.join(cacheDir, 'devcontainers-cli');
  const bin = path.join(prefix, 'node_modules', '.bin', 'devcontainer');
  if (!existsSync(bin)) {
    log(`installing ${PACKAGE} into ${prefix}`);
    const result = await execa(
      'npm',
      ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', PACKAGE],
      { reject: false, timeout: 300_000, input: '' },
    );
    if (result.exitCode !== 0 || !existsSync(bin))
      return { unavailable: `npm install ${PACKAGE} failed (${npmReason(result.stderr)})` };
  }
  const manifest = path.join(prefix, 'node_modules', '@devcontainers', 'cli', 'package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  return { bin, version };
}
