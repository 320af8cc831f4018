/**
 * How a store keeps its layers (docs/embedded-runtime.md#layer-modes) and the store's {@link Unpacker} built on the real
 * layer applier. Overlay-native diffs where overlayfs mounts on the store's filesystem, flattened
 * snapshots elsewhere. The choice is made once per store and recorded in `layer-mode.json`, because
 * the two kinds of diff directory mean different things and must never be mixed in one chain.
 */
import { mkdir, readFile, readlink, rmdir } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import { DevenvError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { once } from '../../util/once.js';
import { exactObject, oneOf, parseJsonShape } from '../../util/shape.js';
import type { LayerMode } from './layers/index.js';
import type { Unpacker } from './store/index.js';

/** The file in the store root that records the layer mode. */
export const LAYER_MODE_FILE = 'layer-mode.json';

const LayerModeRecord = exactObject({ mode: oneOf('overlay', 'flatten') });

/** The recorded mode of the store at `root`, or undefined when none is recorded yet. */
export async function recordedLayerMode(root: string): Promise<LayerMode | undefined> {
  const text = await readFile(path.join(root, LAYER_MODE_FILE), 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  let parsed: { mode: LayerMode } | undefined;
  try {
    parsed = parseJsonShape(LayerModeRecord, text);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined)
    throw new DevenvError('DEVENV_STORE', `${path.join(root, LAYER_MODE_FILE)} is damaged`, {
      hint: 'It holds {"mode":"overlay"} or {"mode":"flatten"}; restore the right one or remove the store.',
    });
  return parsed.mode;
}

/**
 * The store's layer mode: the recorded one, else probed now (a scratch overlay under the store's
 * `tmp/`) and recorded. Concurrent first uses probe the same filesystem and record the same answer.
 */
export async function storeLayerMode(root: string): Promise<LayerMode> {
  const recorded = await recordedLayerMode(root);
  if (recorded !== undefined) return recorded;
  const scratch = path.join(root, 'tmp');
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  // The layer applier (and the mount it probes with) loads only when a layer is unpacked or probed:
  // commands that only read or write blobs (save, push, tag) never need it.
  const { overlaySupported } = await import('./layers/index.js');
  const mode: LayerMode = (await overlaySupported(scratch)) ? 'overlay' : 'flatten';
  await writeFileAtomic(path.join(root, LAYER_MODE_FILE), `${JSON.stringify({ mode })}\n`);
  return mode;
}

/**
 * The short `l/<name>` path of a stored layer's diff: moby's trick that keeps overlay's lowerdir
 * option under one page for deep chains. Falls back to the diff path when the link is unreadable.
 */
async function shortLowerDir(root: string, diffDir: string): Promise<string> {
  const name = (await readFile(path.join(path.dirname(diffDir), 'link'), 'utf8').catch(() => '')).trim();
  if (!/^[A-Z2-7]{26}$/.test(name)) return diffDir;
  const link = path.join(root, 'l', name);
  const target = await readlink(link).catch(() => undefined);
  return target === `../layers/${path.basename(path.dirname(diffDir))}/diff` ? link : diffDir;
}

/**
 * The unpacker of the store at `root`. The store hands over an empty `diffDir`; the applier wants to
 * create its target itself (it builds beside it and renames when complete), so the empty directory
 * is removed first. Both live inside the store's `incomplete-*` directory, so a crash leaves nothing
 * a recovery cannot name.
 */
export function layerUnpacker(root: string): Unpacker {
  const mode = once(() => storeLayerMode(root));
  const applier = once(() => import('./layers/index.js'));
  const unpack: Unpacker = async ({ blobPath, diffDir, parentDiffDirs, knownDiffId }) => {
    const chosen = await mode();
    const parents =
      chosen === 'flatten'
        ? parentDiffDirs.slice(0, 1)
        : await Promise.all(parentDiffDirs.map((dir) => shortLowerDir(root, dir)));
    await rmdir(diffDir);
    const { applyLayer } = await applier();
    const applied = await applyLayer({
      open: { file: blobPath },
      target: diffDir,
      mode: chosen,
      parents,
      knownDiffId,
    });
    return { diffId: applied.diffId, size: applied.size };
  };
  unpack.warm = async () => {
    await Promise.all([mode(), applier()]);
  };
  return unpack;
}
