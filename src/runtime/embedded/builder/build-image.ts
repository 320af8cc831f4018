/**
 * `build` on the embedded runtime (docs/embedded-runtime.md#building): the plan's prerequisite bases
 * (a bootstrap root, a tarball, a user Dockerfile), then the generated Dockerfile, each built into the
 * store with Docker's classic-builder behaviour, the labels added as Docker adds `--label`s, an
 * optional squash, and only then the tag. Two builds of one tag wait for each other; a failed or
 * interrupted build moves no tag, and what it committed before failing serves the next build's cache.
 */
import { createHash } from '../../../util/crypto.js';
import { readFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { PassThrough } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { dockerignoreMatcher } from '../../../image/build/index.js';
import { OCI_LAYER_TAR } from '../../../image/oci/media-types.js';
import { squashImageConfig, squashLayers } from '../../../image/squash/index.js';
import type { SquashResult } from '../../../image/squash/index.js';
import { removeTree } from '../../../util/remove-tree.js';
import type { EventSink } from '../../events.js';
import type { BuildRequest } from '../../runtime.js';
import { scratchDir } from '../archive/import.js';
import { withLock } from '../store/index.js';
import type { Store } from '../store/index.js';
import { ensureBaseImage } from './bases.js';
import type { BuildContext, DockerfileJob } from './build-context.js';
import { buildDockerfile } from './build-dockerfile.js';
import { loadState } from './image-state.js';
import type { ImageState } from './image-state.js';
import { StepCache } from './step-cache.js';

/** What the embedded builder needs from the runtime. */
export interface BuilderDeps {
  store: Store;
  /** Pulls a reference into the store; resolves with the image ID. */
  pull(ref: string): Promise<string>;
  arch: string;
  onEvent: EventSink;
  signal?: AbortSignal | undefined;
}

/** Docker appends `--label`s to the last stage as LABEL instructions, one per key, sorted. */
function withLabels(dockerfile: string, labels: Record<string, string>): string {
  const lines = Object.keys(labels)
    .sort()
    .map((key) => `LABEL ${JSON.stringify(key)}=${JSON.stringify(labels[key])}`);
  return lines.length === 0 ? dockerfile : `${dockerfile.replace(/\n*$/, '\n')}${lines.join('\n')}\n`;
}

/** Squashes what the build added on top of `base` into one layer; returns the new image ID. */
async function squash(ctx: BuildContext, image: ImageState, base: ImageState): Promise<string> {
  const added = image.layers.slice(base.layers.length);
  if (image.id === undefined || added.length === 0) {
    ctx.onEvent({ type: 'info', message: 'nothing to squash: the build added no layers' });
    return image.id ?? '';
  }
  ctx.onEvent({ type: 'info', message: `squashing the ${added.length} layers the build added into one` });
  let squashed: Promise<SquashResult> | undefined;
  const written = await ctx.store.blobs.writeStream(
    () => {
      const output = new PassThrough();
      squashed = squashLayers(
        added.map((layer) => ctx.store.paths.blob(layer.digest)),
        output,
      );
      squashed.catch(() => undefined);
      return output;
    },
    { lease: ctx.lease },
  );
  const result = await squashed;
  if (result === undefined || result.diffId !== written.digest)
    throw new DevenvError('DEVENV_STORE', `the squashed layer of ${image.id} was not written whole`);
  const { bytes } = await ctx.store.images.config(image.id);
  const config = squashImageConfig({
    config: bytes,
    imageId: image.id,
    base: {
      id: base.id,
      diffIds: base.config.rootfs.diff_ids,
      historyLength: ((base.config['history'] as unknown[] | undefined) ?? []).length,
    },
    diffId: written.digest,
  });
  const blob = { mediaType: OCI_LAYER_TAR, digest: written.digest, size: written.size };
  await ctx.store.layers.create({
    parent: base.chainId,
    blob,
    expectedDiffId: written.digest,
    hashedPlainTar: true,
    lease: ctx.lease,
  });
  const record = await ctx.store.images.put({
    config,
    layers: [...base.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })), blob],
    lease: ctx.lease,
  });
  return record.id;
}

/** Builds `request` into the store and tags it; resolves with the image ID. */
export async function buildWithEmbedded(deps: BuilderDeps, request: BuildRequest): Promise<string> {
  const { store, onEvent, signal } = deps;
  const { image } = request;
  const lockName = createHash('sha256').update(image.tag).digest('hex').slice(0, 16);
  return withLock(
    path.join(store.paths.locksDir, `build-${lockName}.lock`),
    {
      purpose: `devenv build ${image.tag}`,
      timeoutMs: 60 * 60_000,
      signal,
      onWait: (holder) => {
        onEvent({ type: 'info', message: `waiting for ${holder} to finish building ${image.tag}` });
      },
    },
    async () => {
      const lease = await store.createLease(`building ${image.tag}`, 24 * 60 * 60_000);
      const scratch = await scratchDir(store, 'build');
      try {
        const ctx: BuildContext = {
          store,
          cache: new StepCache(store),
          lease,
          scratch,
          pull: (ref) => deps.pull(ref),
          arch: deps.arch,
          onEvent,
          signal,
          now: () => new Date(),
        };
        const localRefs = new Set<string>();
        const common = {
          proxyArgs: image.proxyArgs,
          noCache: request.noCache,
          pull: request.pull,
          localRefs,
        };
        for (const pre of image.prerequisites) {
          if (pre.kind === 'dockerfile') {
            onEvent({ type: 'info', message: `building the base image from ${pre.dockerfile}` });
            const file = path.join(request.projectDir, pre.dockerfile);
            const text = await readFile(file, 'utf8');
            const contextDir = path.join(request.projectDir, pre.context);
            const ignore = await readFile(path.join(contextDir, '.dockerignore'), 'utf8').catch(() => '');
            const job: DockerfileJob = {
              ...common,
              text,
              file,
              contextDir,
              contextTar: 'docker-cli',
              ignored: dockerignoreMatcher(ignore),
              target: pre.target,
              buildArgs: pre.args,
            };
            const built = await buildDockerfile(ctx, job);
            if (built.image.id === undefined)
              throw new DevenvError('DEVENV_CONFIG_INVALID', `${file} builds an empty image`);
            await store.refs.set([{ name: pre.tag, id: built.image.id }]);
          } else {
            await ensureBaseImage(
              {
                store,
                projectDir: request.projectDir,
                env: request.env,
                proxyArgs: image.proxyArgs,
                pull: request.pull,
                onEvent,
                signal,
                arch: deps.arch,
              },
              pre,
            );
          }
          localRefs.add(pre.tag);
        }
        const job: DockerfileJob = {
          ...common,
          text: withLabels(image.dockerfile, { ...image.labels, ...request.labels }),
          file: 'the generated Dockerfile',
          contextDir: request.projectDir,
          contextTar: 'devenv',
          buildArgs: image.buildArgs,
        };
        const built = await buildDockerfile(ctx, job);
        let id = built.image.id;
        if (id === undefined)
          throw new DevenvError('DEVENV_CONFIG_INVALID', 'the generated Dockerfile builds an empty image');
        if (request.squash) id = await squash(ctx, await loadState(store, id), built.base);
        await store.refs.set([{ name: image.tag, id }]);
        return id;
      } finally {
        await lease.release();
        await removeTree(scratch);
      }
    },
  );
}
