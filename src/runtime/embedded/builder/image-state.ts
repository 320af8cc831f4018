/**
 * The image a build has reached after each step: its ID, its config as JSON, its layers and the chain
 * they make. Every step commits a new image whose parent is the previous one, as Docker's classic
 * builder does, which is what the cache keys on.
 */
import { imageConfigFor, runConfigOf as parseRunConfig } from '../../../image/build/index.js';
import type { BuildStep, HistoryEntry, RunConfig } from '../../../image/build/index.js';
import type { ImageConfig } from '../../../image/oci/image-config.js';
import { chainIdsOf } from '../store/index.js';
import type { ImageLayer, LeaseHandle, Store } from '../store/index.js';
import type { StepLayer } from './step-layer.js';

/** One image in the build; `id` is undefined for `scratch`. */
export interface ImageState {
  id: string | undefined;
  config: ImageConfig;
  layers: ImageLayer[];
  chainId: string | undefined;
}

/** The empty image `FROM scratch` starts from. */
export function scratchState(arch: string): ImageState {
  return {
    id: undefined,
    config: { architecture: arch, os: 'linux', config: null, rootfs: { type: 'layers', diff_ids: [] } },
    layers: [],
    chainId: undefined,
  };
}

/** The stored image `id` as a build state. */
export async function loadState(store: Store, id: string): Promise<ImageState> {
  const record = await store.images.get(id);
  if (record === undefined) throw new Error(`image ${id} vanished from the store during the build`);
  const { config } = await store.images.config(id);
  return { id, config, layers: record.layers, chainId: chainIdsOf(config.rootfs.diff_ids).at(-1) };
}

/** The run config an image hands to the next stage or step (null for scratch). */
export function runConfigOf(state: ImageState): RunConfig | null {
  return parseRunConfig(state.config.config);
}

/** Commits `step` on `state`, with the layer it added (if any); returns the new image. */
export async function commitStep(
  store: Store,
  state: ImageState,
  step: { config: RunConfig; probe: RunConfig; createdBy: string; author?: string | undefined },
  added: StepLayer | undefined,
  lease: LeaseHandle,
  now: Date,
): Promise<ImageState> {
  const created = now.toISOString();
  const history: HistoryEntry[] = [
    ...((state.config['history'] as HistoryEntry[] | undefined) ?? []),
    { created, created_by: step.createdBy, ...(added === undefined ? { empty_layer: true } : {}) },
  ];
  const layers = added === undefined ? state.layers : [...state.layers, added.layer];
  const bytes = imageConfigFor({
    base: state.config,
    config: step.config,
    containerConfig: step.probe,
    parent: state.id ?? '',
    author: step.author,
    history,
    diffIds: layers.map((layer) => layer.diffId),
    created,
    architecture: state.config.architecture ?? 'amd64',
    os: state.config.os ?? 'linux',
  });
  const record = await store.images.put({
    config: bytes,
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    lease,
  });
  return loadState(store, record.id);
}

export type { BuildStep };
