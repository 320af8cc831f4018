/**
 * The bases the embedded builder makes before the generated Dockerfile: a `tarball` (an image
 * archive is loaded, a root filesystem imported as one layer) and a `bootstrap` (a Debian or Ubuntu
 * root made by mmdebstrap or debootstrap, imported the same way). Each is reused while what it was
 * made from is unchanged, as on Docker: a bootstrap base until `--pull`, a tarball until its content
 * changes. A reused bootstrap base touches no network, so a second build works offline.
 */
import { mkdir, rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { object, string } from '../../../util/shape.js';
import { DevenvError } from '../../../errors.js';
import { isImageArchive } from '../../../image/archive/is-image-archive.js';
import { ociArchitecture } from '../../../image/oci/platform.js';
import type { BasePrerequisite } from '../../../plan/types.js';
import { hashFile, sha256Of } from '../../../util/hash-file.js';
import { throwIfInterrupted } from '../../../util/interrupt.js';
import { readAptSources } from '../../bootstrap/apt-sources.js';
import { BOOTSTRAP_LABEL, SOURCE_LABEL, bootstrapKey, bootstrapSpec } from '../../bootstrap/bootstrap-key.js';
import { makeRootTarball } from '../../bootstrap/make-root.js';
import type { EventSink } from '../../events.js';
import { importArchive, scratchDir } from '../archive/import.js';
import { importRootfs } from '../archive/import-rootfs.js';
import { readJsonFile, writeJsonFile } from '../store/json-file.js';
import type { Store } from '../store/store.js';

/** What making a base needs from the build. */
export interface BaseContext {
  store: Store;
  projectDir: string;
  env: Readonly<Record<string, string | undefined>>;
  proxyArgs: Record<string, string>;
  pull: boolean;
  onEvent: EventSink;
  signal?: AbortSignal | undefined;
  arch: string;
}

/** The prerequisites this module makes. */
export type MadeBase = Extract<BasePrerequisite, { kind: 'tarball' | 'bootstrap' }>;

/**
 * Makes (or reuses) the image a `tarball` or `bootstrap` prerequisite names, tags it `pre.tag` in the
 * store, and returns its image id.
 */
export async function ensureBaseImage(context: BaseContext, pre: MadeBase): Promise<string> {
  throwIfInterrupted(context.signal);
  return pre.kind === 'tarball' ? tarballBase(context, pre) : bootstrapBase(context, pre);
}

/** The image `tag` points at when its label `name` is `value`. */
async function labelled(store: Store, tag: string, name: string, value: string): Promise<string | undefined> {
  const id = await store.refs.resolve(tag);
  if (id === undefined) return undefined;
  const { config } = await store.images.config(id);
  return config.config?.Labels?.[name] === value ? id : undefined;
}

async function bootstrapBase(
  context: BaseContext,
  pre: Extract<BasePrerequisite, { kind: 'bootstrap' }>,
): Promise<string> {
  const { store } = context;
  const spec = bootstrapSpec(pre, await readAptSources());
  const key = bootstrapKey(spec);
  if (!context.pull) {
    const existing = await labelled(store, pre.tag, BOOTSTRAP_LABEL, key);
    if (existing !== undefined) {
      context.onEvent({
        type: 'info',
        message: `using the ${pre.distribution}:${pre.suite} base made before (--pull makes it again)`,
      });
      return existing;
    }
  }
  const scratch = await scratchDir(store, 'bootstrap');
  try {
    const out = path.join(scratch, 'files', 'rootfs.tar');
    await makeRootTarball({
      spec,
      out,
      env: context.env,
      proxyArgs: context.proxyArgs,
      onEvent: context.onEvent,
      signal: context.signal,
    });
    throwIfInterrupted(context.signal);
    return await importRootfs(store, out, {
      tag: pre.tag,
      labels: { [BOOTSTRAP_LABEL]: key },
      arch: context.arch,
      consume: true,
      onEvent: context.onEvent,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const LoadedRecordSchema = object({ tag: string, source: string, id: string });

/**
 * Where the store remembers which archive a loaded base came from: an image archive's config cannot
 * take a label without changing the image, so the source digest is kept beside it.
 */
function loadedRecordFile(store: Store, tag: string): string {
  return path.join(store.root, 'bases', `${sha256Of(tag).slice('sha256:'.length)}.json`);
}

async function tarballBase(
  context: BaseContext,
  pre: Extract<BasePrerequisite, { kind: 'tarball' }>,
): Promise<string> {
  const { store, onEvent } = context;
  const file = path.join(context.projectDir, pre.tarball);
  const { digest } = await hashFile(file).catch((error: unknown) => {
    throw new DevenvError(
      'DEVENV_NOT_FOUND',
      `cannot read the base tarball ${file}: ${(error as Error).message}`,
      {
        hint: 'base.tarball is relative to devenv.yml; check the path, or make the tarball first',
        cause: error,
      },
    );
  });
  if (!(await isImageArchive(file))) {
    const existing = await labelled(store, pre.tag, SOURCE_LABEL, digest);
    if (existing !== undefined) return existing;
    onEvent({ type: 'info', message: `loading the base image from ${pre.tarball}` });
    return importRootfs(store, file, {
      tag: pre.tag,
      labels: { [SOURCE_LABEL]: digest },
      arch: context.arch,
      onEvent,
    });
  }
  const recordFile = loadedRecordFile(store, pre.tag);
  const record = await readJsonFile(recordFile, LoadedRecordSchema);
  if (record.state === 'ok' && record.value.source === digest) {
    const id = await store.refs.resolve(pre.tag);
    if (id !== undefined && id === record.value.id) return id;
  }
  onEvent({ type: 'info', message: `loading the base image from ${pre.tarball}` });
  const architecture = ociArchitecture(context.arch);
  const result = await importArchive(store, { file }, { onEvent, architecture });
  // docker load's last image is the one devenv tags, on both runtimes.
  const id = result.images[result.images.length - 1]?.id;
  if (id === undefined)
    throw new DevenvError('DEVENV_ARCHIVE_INVALID', `${pre.tarball} holds no image`, {
      hint: 'make it with docker save IMAGE -o FILE, or use a root filesystem tar',
    });
  await store.refs.set([{ name: pre.tag, id }]);
  await mkdir(path.dirname(recordFile), { recursive: true, mode: 0o700 });
  await writeJsonFile(recordFile, { tag: pre.tag, source: digest, id });
  return id;
}
