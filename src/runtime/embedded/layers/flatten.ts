/**
 * The flatten layer mode (docs/embedded-runtime.md#layer-modes), for filesystems where overlayfs cannot be mounted (NFS, nested without
 * user namespaces, old kernels): each layer becomes a full snapshot, a copy of its parent's snapshot
 * with the layer applied on top. `--reflink=auto` makes the copy nearly free on btrfs and xfs.
 */
import { execa } from 'execa';
import { DevenvError } from '../../../errors.js';

/** Copies the contents of snapshot `parent` into the existing empty directory `dest`, keeping everything. */
export async function copySnapshot(parent: string, dest: string): Promise<void> {
  const result = await execa('cp', ['-a', '--reflink=auto', '--', `${parent}/.`, `${dest}/`], {
    reject: false,
  });
  if (result.failed)
    throw new DevenvError(
      'DEVENV_STORE',
      `copying snapshot ${parent} failed (exit ${result.exitCode}): ${tail(result.stderr)}`,
      {
        cause: result,
      },
    );
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join('\n');
}
