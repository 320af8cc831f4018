/**
 * Whether files created under a path are slowed for a while by files deleted just before.
 *
 * ext4 without a journal does not reuse an inode within a minute of its deletion (five minutes
 * while its inode table block is not yet written back): fs/ext4/ialloc.c, recently_deleted(). An
 * allocation then walks past every such inode, reading its deletion time. Right after a tree of
 * thousands of files is deleted, creating as many again nearby costs several times what it costs a
 * minute later: on the benchmark machine, the 5,555 creates of `tar -x` of the Debian root took
 * 37 µs each (median) after a quiet minute and ~370 µs right after the previous tree was deleted.
 * A benchmark that deletes the last run's output before each timed run would measure that, the same
 * for every tool that creates files, instead of the tools.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** True when `dir` is on an ext4 filesystem mounted without a journal. */
export async function slowAfterDeletions(dir: string): Promise<boolean> {
  const found = await execa('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '--target', dir], { reject: false });
  const [source = '', type = ''] = found.stdout.trim().split(/\s+/);
  if (found.exitCode !== 0 || type !== 'ext4' || !source.startsWith('/dev/')) return false;
  const task = await readFile(path.join('/sys/fs/ext4', path.basename(source), 'journal_task'), 'utf8').catch(
    () => '',
  );
  return task.trim() === '<none>';
}

/** How long to wait after deleting many files before a timed run creates many: one minute and a bit. */
export const RECENT_DELETION_WAIT_MS = 61_000;
