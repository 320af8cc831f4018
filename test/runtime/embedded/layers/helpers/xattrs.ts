/** Setting and reading extended attributes in tests, with python3 (Node has no xattr API). */
import { execFileSync } from 'node:child_process';

/** Sets xattr `name` of `file` (symlinks not followed) to the raw bytes `value`. */
export function setXattr(file: string, name: string, value: Buffer): void {
  execFileSync('python3', [
    '-c',
    'import os,sys\nos.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)',
    file,
    name,
    value.toString('hex'),
  ]);
}

/** Every xattr of `file` as one comparable line, values in hex. */
export function xattrsOf(file: string): string {
  return execFileSync('python3', [
    '-c',
    'import os,sys\nprint(sorted((n, os.getxattr(sys.argv[1], n, follow_symlinks=False).hex()) for n in os.listxattr(sys.argv[1], follow_symlinks=False)))',
    file,
  ]).toString();
}
