/**
 * Reading the extended attributes of files (`security.capability`, `user.*`). Node has no API for
 * them and devenv ships no native addon, so one python3 helper process answers for every path a
 * reader is asked about, with `os.listxattr`/`os.getxattr` and symlinks never followed. python3 is in
 * the base system of the distributions devenv supports, unlike the attr package's `getfattr`, and
 * one process for a whole tree costs one start-up instead of one per file. Paths and values travel as
 * hex, so no byte of a file name or a binary value is reinterpreted on the way.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DevenvError } from '../errors.js';
import { childProcess } from './child-process.js';

/** A file's xattrs, sorted by name, values as raw bytes. */
export type Xattrs = [string, Buffer][];

/** Reads xattrs, one helper process for all calls; `close` ends it. */
export interface XattrReader {
  read(file: string): Promise<Xattrs>;
  close(): Promise<void>;
}

// ENODATA (gone between list and get) and EOPNOTSUPP (a filesystem without xattrs) mean "none".
const HELPER = `
import json, os, sys
for line in sys.stdin:
    path = bytes.fromhex(line.strip())
    try:
        out = []
        for name in sorted(os.listxattr(path, follow_symlinks=False)):
            try:
                out.append([name, os.getxattr(path, name, follow_symlinks=False).hex()])
            except OSError as e:
                if e.errno not in (61, 95):
                    raise
    except OSError as e:
        out = [] if e.errno == 95 else {"error": e.strerror or str(e), "errno": e.errno}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
`;

type Answer = [string, string][] | { error: string; errno: number };

/**
 * The distribution's own python3 when it has one: a version manager's shim on PATH (pyenv, asdf) can
 * take most of a second to start, which every layer diff would pay. Only os.listxattr is needed.
 */
function systemPython(): string {
  return ['/usr/bin/python3', '/bin/python3'].find((file) => existsSync(file)) ?? 'python3';
}

/** Starts the helper. A missing python3 fails the first `read` with a clear error. */
export function openXattrReader(python = systemPython()): XattrReader {
  const child = childProcess().spawn(python, ['-c', HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const pending: { file: string; resolve: (x: Xattrs) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  let stderr = '';
  const fail = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.splice(0)) waiter.reject(failure);
  };
  child.on('error', (error: NodeJS.ErrnoException) => {
    fail(
      error.code === 'ENOENT'
        ? new DevenvError(
            'DEVENV_UNSUPPORTED',
            `${python} was not found; devenv needs it to read extended attributes`,
            {
              hint: 'Install python3 (apt-get install python3-minimal, apk add python3, dnf install python3).',
              cause: error,
            },
          )
        : error,
    );
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  child.on('close', (code) => {
    fail(new Error(`the xattr helper (${python}) exited with ${code ?? 'a signal'}: ${stderr.trim()}`));
  });
  // A write after the helper died reports through 'close' above; the pipe error itself says less.
  child.stdin.on('error', () => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = pending.shift();
    if (waiter === undefined) return;
    const answer = JSON.parse(line) as Answer;
    if (Array.isArray(answer)) waiter.resolve(answer.map(([name, hex]) => [name, Buffer.from(hex, 'hex')]));
    else
      waiter.reject(
        Object.assign(new Error(`reading the extended attributes of ${waiter.file}: ${answer.error}`), {
          errno: answer.errno,
        }),
      );
  });
  return {
    read: (file) =>
      new Promise((resolve, reject) => {
        if (failure !== undefined) {
          reject(failure);
          return;
        }
        pending.push({ file, resolve, reject });
        child.stdin.write(`${Buffer.from(file).toString('hex')}\n`);
      }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.stdin.end();
      await closed;
    },
  };
}
