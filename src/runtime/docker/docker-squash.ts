/**
 * `build --squash` on a Docker engine without experimental mode, where `docker build --squash` is
 * refused (docs/image-formats.md#squash). After a normal build: `docker save` the image and its base, squash the
 * layers the build added with the runtime-neutral squash, write the config Docker's own squash would
 * write, and `docker load` the result under the same tag. The unsquashed image is left dangling (its
 * intermediate images keep serving the build cache) until `prune`.
 */
import { createHash } from '../../util/crypto.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from '../../util/fs-async.js';
import { tmpdir } from 'node:os';
import path from '../../util/node-path.js';
import { DevenvError } from '../../errors.js';
import { isNoSpace } from '../../util/no-space.js';
import { removeTree } from '../../util/remove-tree.js';
import { parseConfig } from '../../image/archive/archive-plan.js';
import type { PlannedImage } from '../../image/archive/archive-plan.js';
import { planDockerArchive } from '../../image/archive/read-docker.js';
import { writeExport } from '../../image/archive/write-export.js';
import { indexTar } from '../../image/archive/tar-index.js';
import type { EventSink } from '../events.js';
import { planImageArchive, squashImageConfig, squashLayers } from '../../image/squash/index.js';
import type { SquashBase } from '../../image/squash/index.js';
import { docker } from './docker-cli.js';
import { checkResult, spawnDocker } from './docker-spawn.js';
import type { DockerTarget } from './docker-cli.js';

/**
 * True when `build --squash` can be left to the engine: Podman always squashes the new layers, Docker
 * only in experimental mode (elsewhere it refuses the flag).
 */
export async function engineSquashes(target: DockerTarget): Promise<boolean> {
  if (target.binary === 'podman') return true;
  const out = await docker(target, ['version', '--format', '{{.Server.Experimental}}']).catch(() => '');
  return out.trim() === 'true';
}

/**
 * True when the engine's own squash took effect: at most one layer above the base. BuildKit accepts
 * `--squash` on an experimental engine and ignores it, so the result is checked, not trusted.
 */
export async function squashedByEngine(
  target: DockerTarget,
  imageId: string,
  base: string,
): Promise<boolean> {
  const layers = async (ref: string) =>
    (JSON.parse(await docker(target, ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])) as
      string[] | null) ?? [];
  const baseLayers = base.toLowerCase() === 'scratch' ? 0 : (await layers(base)).length;
  return (await layers(imageId)).length <= baseLayers + 1;
}

/** The built image to squash: its ID, the tag it carries, and the FROM of its final stage. */
export interface SquashRequest {
  imageId: string;
  tag: string;
  base: string;
}

/** Squashes the layers `request.imageId` adds to its base into one; resolves with the new image ID. */
export async function squashImage(
  target: DockerTarget,
  request: SquashRequest,
  onEvent: EventSink,
): Promise<string> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'devenv-squash-'));
  try {
    const baseId =
      request.base.toLowerCase() === 'scratch'
        ? undefined
        : await docker(target, ['image', 'inspect', '--format', '{{.Id}}', request.base]);
    const images = await saveImages(
      target,
      [request.imageId, ...(baseId === undefined ? [] : [baseId])],
      scratch,
    );
    const built = find(images, request.imageId);
    const base = baseOf(baseId === undefined ? undefined : find(images, baseId));
    const added = built.layers.slice(base.diffIds.length);
    if (added.length === 0) {
      onEvent({ type: 'info', message: 'nothing to squash: the build added no layers' });
      return request.imageId;
    }
    onEvent({ type: 'info', message: `squashing the ${added.length} layers the build added into one` });
    const layerFile = path.join(scratch, 'squashed.tar');
    const squashed = await squashLayers(
      added.map((layer) => layer.entry.file),
      createWriteStream(layerFile),
    );
    if (squashed.inputs.some((diffId, i) => diffId !== added[i]?.diffId))
      throw new DevenvError(
        'DEVENV_DIGEST_MISMATCH',
        `the saved layers of ${request.imageId} do not match its config`,
      );
    const config = squashImageConfig({
      config: built.config,
      imageId: request.imageId,
      base,
      diffId: squashed.diffId,
    });
    const plan = planImageArchive({
      config,
      tag: request.tag,
      layers: [
        ...built.layers.slice(0, base.diffIds.length).map((layer) => ({
          digest: layer.digest,
          size: layer.size,
          mediaType: layer.mediaType,
          open: () => Promise.resolve(createReadStream(layer.entry.file)),
        })),
        {
          digest: squashed.diffId,
          size: squashed.size,
          open: () => Promise.resolve(createReadStream(layerFile)),
        },
      ],
    });
    await loadArchive(target, plan);
    const id = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const tagged = await docker(target, ['image', 'inspect', '--format', '{{.Id}}', request.tag]);
    if (tagged !== id)
      throw new DevenvError(
        'DEVENV_RUNTIME_FAILED',
        `docker load gave ${request.tag} the ID ${tagged}, not ${id}`,
      );
    return id;
  } catch (error) {
    if (isNoSpace(error))
      throw new DevenvError(
        'DEVENV_NO_SPACE',
        `no space left on device squashing ${request.tag} in ${scratch}`,
        {
          hint: 'The squash needs room for the saved image and the squashed layer: free some space, or set TMPDIR to a larger filesystem.',
          cause: error,
        },
      );
    throw error;
  } finally {
    await removeTree(scratch);
  }
}

/** `docker save` of `refs`, indexed into scratch files and checked like any archive devenv reads. */
async function saveImages(target: DockerTarget, refs: string[], scratch: string): Promise<PlannedImage[]> {
  const args = ['save', ...refs];
  const dir = path.join(scratch, 'saved');
  await mkdir(dir);
  const child = spawnDocker(target, args, { stdout: 'pipe', buffer: { stdout: false, stderr: true } });
  if (child.stdout === null) throw new Error('docker save: no stdout');
  const [indexed, result] = await Promise.allSettled([indexTar(child.stdout, dir), child]);
  // The CLI's own failure explains more than the truncated archive it leaves.
  if (result.status === 'fulfilled') checkResult(target, args, result.value);
  if (result.status === 'rejected') throw result.reason;
  if (indexed.status === 'rejected') throw indexed.reason;
  return planDockerArchive(indexed.value);
}

async function loadArchive(target: DockerTarget, plan: ReturnType<typeof planImageArchive>): Promise<void> {
  const child = spawnDocker(target, ['load'], { stdin: 'pipe' });
  const writing = child.stdin === null ? Promise.resolve() : writeExport(plan, child.stdin);
  const [written, result] = await Promise.allSettled([writing, child]);
  if (result.status === 'fulfilled') checkResult(target, ['load'], result.value);
  if (written.status === 'rejected') throw written.reason;
  if (result.status === 'rejected') throw result.reason;
}

function find(images: readonly PlannedImage[], id: string): PlannedImage {
  const image = images.find((candidate) => candidate.configDigest === id);
  if (image === undefined)
    throw new DevenvError('DEVENV_RUNTIME_FAILED', `docker save did not return image ${id}`);
  return image;
}

function baseOf(image: PlannedImage | undefined): SquashBase {
  if (image === undefined) return { id: undefined, diffIds: [], historyLength: 0 };
  const config = parseConfig(image.config, 'the base image config');
  const history = (config as { history?: unknown }).history;
  return {
    id: image.configDigest,
    diffIds: config.rootfs.diff_ids,
    historyLength: Array.isArray(history) ? history.length : 0,
  };
}
