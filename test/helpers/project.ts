/** Temporary project folders built from inline file trees (changesets' testdir pattern). */
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** File tree: path → contents (a string) or null for an empty folder. */
export type Tree = Record<string, string | null>;

/** Writes `tree` into a fresh temp folder and returns its path. */
export function makeProject(tree: Tree, prefix = 'devenv-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // mkdtemp makes 0700 folders; a project is readable by the users its containers run as.
  chmodSync(dir, 0o755);
  for (const [rel, content] of Object.entries(tree)) {
    const full = path.join(dir, rel);
    if (content === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

/** Removes a folder made by {@link makeProject}. */
export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
