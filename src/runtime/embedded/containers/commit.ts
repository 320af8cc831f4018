/**
 * `commit`: the container's writable layer becomes one more layer on its image, and its run
 * settings become the new image's config, as `docker commit` does: the container's environment
 * (minus the variables the caller drops), labels, user and working directory, with the ENTRYPOINT
 * and CMD the caller names. The layer is written by the same diff as a build step's.
 */
import { mkdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { OCI_LAYER_TAR } from '../../../image/oci/media-types.js';
import { removeTree } from '../../../util/remove-tree.js';
import type { CommitOptions } from '../../runtime.js';
import { chainDirs } from '../builder/step-layer.js';
import { diffLayer } from '../layers/index.js';
import { chainIdsOf } from '../store/index.js';
import type { Store } from '../store/index.js';
import type { ContainerConfig, ContainerPaths } from './record.js';

/** Commits container `config`; resolves with the new image's id (tagged when `options.tag` is set). */
export async function commitContainer(
  store: Store,
  config: ContainerConfig,
  paths: ContainerPaths,
  options: CommitOptions,
): Promise<string> {
  const lease = await store.createLease(`committing ${config.name}`);
  const scratch = path.join(store.paths.tmpDir, `commit-${config.id.slice(0, 12)}-${Date.now()}`);
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  try {
    const record = await store.images.get(config.imageId);
    if (record === undefined)
      throw new Error(`image ${config.imageId} of container ${config.name} is missing from the store`);
    const { bytes } = await store.images.config(config.imageId);
    const base = JSON.parse(bytes.toString('utf8')) as Record<string, unknown> & {
      config?: Record<string, unknown> | null;
      rootfs: { type: string; diff_ids: string[] };
      history?: Record<string, unknown>[];
    };
    const chainId = chainIdsOf(base.rootfs.diff_ids).at(-1);
    const lowers = await chainDirs(store, chainId);
    const written = await store.blobs.writeStream(
      () => diffLayer({ upper: paths.upper, lowers, scratchDir: scratch }),
      { lease },
    );
    const blob = { mediaType: OCI_LAYER_TAR, digest: written.digest, size: written.size };
    // Written and hashed just now as a plain tar: unpacking it needs no second hash.
    await store.layers.create({
      parent: chainId,
      blob,
      expectedDiffId: written.digest,
      hashedPlainTar: true,
      lease,
    });
    const created = new Date().toISOString();
    const drop = new Set(options.dropEnv);
    const imageLabels = (base.config?.['Labels'] as Record<string, string> | null | undefined) ?? {};
    const runConfig: Record<string, unknown> = {
      ...(base.config ?? {}),
      Env: config.env.filter((entry) => !drop.has(entry.slice(0, entry.indexOf('=')))),
      Labels: { ...imageLabels, ...config.labels },
      Entrypoint: options.entrypoint,
      Cmd: options.cmd,
      User: config.user,
      WorkingDir: config.workdir,
    };
    const next = {
      ...base,
      created,
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, written.digest] },
      history: [...(base.history ?? []), { created, created_by: `devenv commit ${config.name}` }],
    };
    const image = await store.images.put({
      config: Buffer.from(JSON.stringify(next)),
      layers: [...record.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })), blob],
      lease,
    });
    if (options.tag !== undefined) await store.refs.set([{ name: options.tag, id: image.id }]);
    return image.id;
  } finally {
    await lease.release();
    await removeTree(scratch);
  }
}
