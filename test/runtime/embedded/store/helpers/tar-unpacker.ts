/**
 * A stand-in for the layer applier, for tests with benign fixtures only: GNU tar extracts (it detects
 * gzip itself) while Node hashes the uncompressed stream for the diff ID. Not safe for hostile tars;
 * the real applier (src/runtime/embedded/layers/) replaces it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import type { Unpacker } from '../../../../../src/runtime/embedded/store/index.js';

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Hashes the uncompressed content of a (possibly gzipped) tar. */
export async function diffIdOf(file: string): Promise<{ diffId: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const raw = createReadStream(file);
  const stream = (await isGzip(file)) ? raw.pipe(createGunzip()) : raw;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

/**
 * Owners are kept as recorded when running as root; anyone else cannot chown to other users, so the
 * files are theirs (the fixtures' owners matter to no store test).
 */
const OWNERS = process.getuid?.() === 0 ? ['--numeric-owner', '--same-owner'] : ['--no-same-owner'];

/** Unpacks with `tar -xf`; a full disk surfaces as an ENOSPC error like the real applier's. */
export const tarUnpacker: Unpacker = async ({ blobPath, diffDir }) => {
  const result = await execa('tar', ['-xf', blobPath, '-C', diffDir, ...OWNERS, '-p'], { reject: false });
  if (result.exitCode !== 0) {
    const code = /No space left on device|Wrote only \d+ of \d+ bytes/.test(result.stderr) ? 'ENOSPC' : 'EIO';
    throw Object.assign(new Error(`tar failed: ${result.stderr}`), { code });
  }
  return diffIdOf(blobPath);
};

/** An unpacker that counts its calls, wrapping {@link tarUnpacker}. */
export function countingUnpacker(): { unpack: Unpacker; calls: () => number } {
  let calls = 0;
  return {
    unpack: async (input) => {
      calls++;
      return tarUnpacker(input);
    },
    calls: () => calls,
  };
}
