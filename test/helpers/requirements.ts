/**
 * What a test needs from this machine, and what happens when it is missing. A test without what it
 * needs skips and prints why, so a skip is never silent. Under DEVENV_E2E=require (as CI sets it) a
 * missing requirement is an error instead: the file fails at collection, naming what is missing, so
 * a CI run cannot pass by skipping. Skips that are not about the machine (a feature not built yet, an
 * optional cache) use {@link skipBecause}, which stays a skip everywhere.
 */
import { execFileSync } from 'node:child_process';

/** True when running as root on Linux (chown to other users, mknod, mounts, namespaces). */
export const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

/** True when `bin` runs here (`bin --version` exits 0). */
export function hasCli(bin: string): boolean {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function say(line: string): void {
  // The file's stderr is where vitest shows a test file's own output, labelled with the file.
  console.warn(line);
}

/**
 * Whether to skip `what`: true when any of `needs` (a description of each requirement, mapped to
 * whether this machine has it) is false; prints which. Throws under DEVENV_E2E=require instead.
 */
export function skipUnless(what: string, needs: Readonly<Record<string, boolean>>): boolean {
  const missing = Object.keys(needs).filter((need) => !needs[need]);
  if (missing.length === 0) return false;
  const uid = isRoot ? '' : ` (this process runs as uid ${String(process.getuid?.() ?? '?')})`;
  const reason = `${what} needs ${missing.join(', ')}${missing.includes('root') ? uid : ''}`;
  if (process.env['DEVENV_E2E'] === 'require')
    throw new Error(
      `DEVENV_E2E=require, and ${reason}. Install what is missing (.ci/run lists the packages) or ` +
        'run as root; without DEVENV_E2E=require such tests skip instead.',
    );
  say(`skipped: ${reason}`);
  return true;
}

/**
 * A skip that is not a missing part of the machine (a behaviour not built yet, an optional cache):
 * true when `reason` is given, which is printed; stays a skip under DEVENV_E2E=require.
 */
export function skipBecause(what: string, reason: string | undefined): boolean {
  if (reason === undefined) return false;
  say(`skipped: ${what}: ${reason}`);
  return true;
}
