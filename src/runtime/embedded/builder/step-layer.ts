/**
 * The filesystem side of one build step (docs/embedded-runtime.md#building): an overlay root made of
 * the image's layers, a placeholder layer and a fresh upper dir, and afterwards the upper dir turned
 * into a layer of the store. The placeholder layer plays the part of Docker's "init" layer: it holds
 * the mount points the sandbox covers (`/proc`, `/dev`, `/etc/hosts`, …), so that a step's diff never
 * records them, whether the image had them or not.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OCI_LAYER_TAR } from '../../../image/oci/media-types.js';
import { diffLayer } from '../layers/index.js';
import type { ImageLayer, LeaseHandle, Store } from '../store/index.js';

/** Directories and empty files the sandbox mounts over, relative to the root. */
const PLACEHOLDER_DIRS = ['dev', 'proc', 'sys', 'etc'];
const PLACEHOLDER_FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf'];

/** Writes the placeholder layer into `dir` (once per build). */
export async function makePlaceholderLayer(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const name of PLACEHOLDER_DIRS) await mkdir(path.join(dir, name), { mode: 0o755 });
  for (const name of PLACEHOLDER_FILES) await writeFile(path.join(dir, name), '', { mode: 0o644 });
}

/** The overlay dirs of one step; `chainLowers` are the image's own layers, top first. */
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
  placeholders: string,
  chainId: string | undefined,
  step: number,
): Promise<StepRoot> {
  const base = path.join(scratch, `step-${step}`);
  const upper = path.join(base, 'upper');
  const work = path.join(base, 'work');
  await mkdir(upper, { recursive: true, mode: 0o755 });
  await mkdir(work, { recursive: true, mode: 0o700 });
  const chainLowers = await chainDirs(store, chainId);
  return { lowers: [placeholders, ...chainLowers], chainLowers, upper, work };
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
    lease,
  });
  return { layer: { ...blob, diffId: written.digest }, chainId: record.chainId };
}
