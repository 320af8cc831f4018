/**
 * One temporary folder per vitest run (docs/testing.md#temporary-files). The root global setup
 * points TMPDIR at it before any test file loads, so whatever a test, a helper or a devenv child
 * process makes with `os.tmpdir()` or `mktemp` lands in it, and the teardown removes it whole: a run used to
 * leave several gigabytes and tens of thousands of files in /tmp (projects, homes, stores, dockerd
 * data of the tests that did not clean up after themselves).
 *
 * The folder is made like /tmp itself (world-writable with the sticky bit), since tests run
 * programs as other users who make their own folders there.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killMonitorsUnder } from '../helpers/processes.js';

/** Makes the run's temporary folder under the current temp dir and returns it. */
export function makeRunTemp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-tests-'));
  chmodSync(dir, 0o1777);
  return dir;
}

/** Mount points at or under `dir`, from this process's mount table (octal escapes decoded). */
export function mountsUnder(dir: string, mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/**
 * Removes the run's folder: first the container monitors whose stores are in it (a failed test
 * leaves its environment running), then the folder. It is kept, and the reason printed, when
 * something is still mounted under it (a recursive removal would go into the mount) or when
 * `DEVENV_KEEP_E2E=1` asks to keep the run's files for a post-mortem.
 */
export function removeRunTemp(
  dir: string,
  log: (line: string) => void,
  mountTable = (): string => readFileSync('/proc/self/mountinfo', 'utf8'),
): void {
  if (process.env['DEVENV_KEEP_E2E'] === '1') {
    log(`DEVENV_KEEP_E2E=1: the run's temporary files are kept in ${dir}`);
    return;
  }
  killMonitorsUnder(dir);
  const mounts = mountsUnder(dir, mountTable());
  if (mounts.length > 0) {
    log(
      `the tests left ${mounts.length} mount(s) under ${dir}, so it is kept: ${mounts.slice(0, 5).join(', ')}` +
        ' (unmount them, then remove the folder)',
    );
    return;
  }
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    log(`could not remove the run's temporary folder ${dir}: ${String(error)}`);
  }
}
