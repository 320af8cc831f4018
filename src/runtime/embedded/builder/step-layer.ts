/**
 * The filesystem side of one build step (docs/embedded-runtime.md#building): an overlay root made of
 * the image's layers and a fresh upper dir, and afterwards the upper dir turned into a layer of the
 * store. (For RUN, the sandbox adds its own init layer of mount points on top, so a step's diff never
 * records them.)
 */
import { mkdir, readdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { OCI_LAYER_TAR } from '../../../image/oci/media-types.js';
import { diffLayer } from '../layers/index.js';
import type { ImageLayer, LeaseHandle, Store } from '../store/index.js';

/**
 * The overlay dirs of one step: `lowers` top first (the image's layers, or one empty dir for an
 * image without any, as overlayfs needs a lower dir), `chainLowers` the image's layers alone.
 */
export interface StepRoot {
  lowers: string[];
  chainLowers: string[];
  upper: string;
  work: string;
}

/** Absolute diff dirs of the chain ending at `chainId`, top first (none for an empty image). */
export async function chainDirs(store: Store, chainId: string | undefined): Promise<string[]> {
  if (chainId === undefined) return [];
  return (await store.layers.lowerLinks(chainId)).map((link) => path.join(store.root, link));
}

/** Prepares a fresh upper and work dir under `scratch` for a step on the chain `chainId`. */
export async function openStepRoot(
  store: Store,
  scratch: string,
  chainId: string | undefined,
  step: number,
): Promise<StepRoot> {
  const base = path.join(scratch, `step-${step}`);
  const upper = path.join(base, 'upper');
  const work = path.join(base, 'work');
  await mkdir(upper, { recursive: true, mode: 0o755 });
  await mkdir(work, { recursive: true, mode: 0o700 });
  const chainLowers = await chainDirs(store, chainId);
  if (chainLowers.length > 0) return { lowers: chainLowers, chainLowers, upper, work };
  const empty = path.join(base, 'empty');
  await mkdir(empty);
  return { lowers: [empty], chainLowers, upper, work };
}

/** A layer a step added: its record in the image and its chain ID. */
export interface StepLayer {
  layer: ImageLayer;
  chainId: string;
}

/**
 * Turns the step's upper dir into a stored layer on `parentChain`; undefined when the step changed
 * nothing (Docker then records an empty layer in the history and adds none to the rootfs).
 */
export async function commitStepRoot(
  store: Store,
  root: StepRoot,
  parentChain: string | undefined,
  lease: LeaseHandle,
  scratch: string,
): Promise<StepLayer | undefined> {
  if ((await readdir(root.upper)).length === 0) return undefined;
  const written = await store.blobs.writeStream(
    () => diffLayer({ upper: root.upper, lowers: root.chainLowers, scratchDir: scratch }),
    { lease },
  );
  const blob = { mediaType: OCI_LAYER_TAR, digest: written.digest, size: written.size };
  const record = await store.layers.create({
    parent: parentChain,
    blob,
    expectedDiffId: written.digest,
    hashedPlainTar: true,
    lease,
  });
  return { layer: { ...blob, diffId: written.digest }, chainId: record.chainId };
}
