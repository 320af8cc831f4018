/** Layer tarballs built in the test with tar-stream (never checked-in binaries), and scratch dirs. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';
import { removeTree } from '../../../../../src/util/remove-tree.js';

/** One fixture entry; `content` makes a file, otherwise give a `type`. */
export interface FixtureEntry extends Partial<Header> {
  name: string;
  content?: string | Buffer;
}

/** Builds an uncompressed tar from `entries` in order. */
export async function makeTar(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { content, ...header } of entries) {
    const body = content === undefined ? undefined : Buffer.from(content);
    const full = {
      type: 'file' as const,
      mode: header.type === 'directory' ? 0o755 : 0o644,
      mtime: new Date(1_700_000_000_000),
      uid: 0,
      gid: 0,
      ...header,
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (error?: Error | null) => {
        if (error) reject(error);
        else resolve();
      };
      if (body === undefined) pack.entry(full, cb);
      else pack.entry({ ...full, size: body.length }, body, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An `open` callback for applyLayer that serves `data` afresh on every call. */
export function opener(data: Buffer): () => Readable {
  return () => Readable.from([data]);
}

/** A scratch directory, and its removal. */
export async function scratch(
  prefix = 'devenv-layers-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => removeTree(dir) };
}

/** True when running as root on Linux, which these tests need for chown, overlayfs and namespaces. */
export const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
