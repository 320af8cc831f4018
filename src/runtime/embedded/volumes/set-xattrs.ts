/**
 * Writing extended attributes onto an extracted volume tree. Node cannot set xattrs and devenv ships
 * no native addon, so one python3 process (as for reading them, util/xattrs.ts) sets them all, with
 * symlinks never followed. Only file capabilities and `user.*` attributes are written: `trusted.*`
 * and `security.*` others steer the kernel (overlayfs, SELinux) rather than describe a file, and a
 * volume is data.
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { DevenvError } from '../../../errors.js';
import type { NoticeHandler } from '../layers/extract-context.js';

/** One attribute to set: the host path (already resolved inside the tree), its name and raw value. */
export interface XattrWrite {
  /** The entry's path in the archive, for notices. */
  rel: string;
  file: string;
  name: string;
  value: Buffer;
}

/** True for the attributes a volume import writes. */
export function isVolumeXattr(name: string): boolean {
  return name === 'security.capability' || name.startsWith('user.');
}

// EPERM (no CAP_SETFCAP, or user.* on a symlink) and ENOTSUP (a filesystem without them) are
// reported back per attribute as notices; anything else fails the import.
const HELPER = `
import os, sys
for line in sys.stdin:
    path, name, value = (bytes.fromhex(part) for part in line.split())
    try:
        os.setxattr(path, name, value, follow_symlinks=False)
        print("ok")
    except OSError as e:
        print(("skip " if e.errno in (1, 95) else "fail ") + (e.strerror or str(e)))
    sys.stdout.flush()
`;

/** Sets every attribute of `writes` in one helper run; refused ones become notices. */
export async function setXattrs(writes: readonly XattrWrite[], onNotice: NoticeHandler): Promise<void> {
  if (writes.length === 0) return;
  const hex = (value: string | Buffer) => Buffer.from(value).toString('hex');
  const input = writes.map((w) => `${hex(w.file)} ${hex(w.name)} ${hex(w.value)}\n`).join('');
  // The distribution's python3, not a version manager's slow shim on PATH (as the reader does).
  const python = ['/usr/bin/python3', '/bin/python3'].find((file) => existsSync(file)) ?? 'python3';
  const result = await execa(python, ['-c', HELPER], { input, reject: false });
  if (result.failed && result.stdout === '')
    throw new DevenvError(
      'DEVENV_UNSUPPORTED',
      `cannot set extended attributes: ${result.stderr.trim() || result.message}`,
      {
        hint: 'devenv needs python3 to restore file capabilities (apt-get install python3-minimal).',
      },
    );
  const answers = result.stdout.split('\n');
  writes.forEach((write, i) => {
    const answer = answers[i] ?? 'fail no answer from the helper';
    if (answer === 'ok') return;
    const reason = answer.slice(answer.indexOf(' ') + 1);
    if (answer.startsWith('skip '))
      onNotice(write.rel, `extended attribute ${write.name} not applied: ${reason}`);
    else throw new DevenvError('DEVENV_STORE', `cannot set ${write.name} on ${write.file}: ${reason}`);
  });
}
