/**
 * `save`: one tarball with the whole environment: the image with the container's writable layer
 * committed on top (proxy and host-only variables stripped from its config), devenv.yml and every
 * named volume. Written to FILE.partial, fsynced and renamed, so FILE is complete or absent; a long
 * write reports the bytes written every few seconds.
 */
import { randomBytes } from '../util/crypto.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, rm, stat } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BASE_IMAGE_LABEL } from '../engine/container.js';
import type { EngineContext } from '../engine/engine-context.js';
import { withEnvLock } from '../engine/env-lock.js';
import { requireContainer } from '../engine/session.js';
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import { imageTag } from '../plan/naming.js';
import { PROXY_VARIABLES } from '../plan/proxy.js';
import { commitPartial } from '../util/atomic.js';
import { hashFile, sha256Of } from '../util/hash-file.js';
import { BYTE_EVENT_INTERVAL_MS } from '../runtime/byte-events.js';
import { byteProgress, countingStream } from '../util/byte-progress.js';
import { failpoint } from '../util/failpoint.js';
import { isNoSpace } from '../util/no-space.js';
import { BUNDLE_CONFIG, BUNDLE_FORMAT, BUNDLE_JSON, BUNDLE_VERSION } from './format.js';
import type { BundleManifest } from './format.js';
import { redactProxyCredentials } from './redact.js';
import { rewriteImageArchive } from './rewrite-archive.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';
import { packBody, packEntry } from '../util/tar-pack.js';
import { FILE_READ_CHUNK } from '../util/read-chunk.js';

/** Variables that describe the saving machine or carry secrets; they never travel in a bundle. */
export const HOST_ONLY_ENV: ReadonlySet<string> = new Set([...PROXY_VARIABLES, 'DISPLAY', 'XAUTHORITY']);

export interface SaveOptions {
  name: string;
  output: string;
  /** Save the image without the container's changes. */
  noState: boolean;
  /** The text of devenv.yml; read from the path recorded on the container when absent. */
  configText?: string | undefined;
  devenvVersion: string;
  /** The clock for progress reports; `Date.now` when absent. */
  now?: (() => number) | undefined;
}

/** Writes the bundle; returns its manifest. */
export async function saveBundle(ctx: EngineContext, options: SaveOptions): Promise<BundleManifest> {
  const container = await requireContainer(ctx, options.name);
  const original =
    options.configText ??
    (await readFile(container.labels[LABELS.config] ?? '', 'utf8').catch(() => undefined));
  if (original === undefined)
    throw new DevenvError('DEVENV_NOT_FOUND', `cannot find the devenv.yml of ${options.name}`, {
      hint: 'run devenv save from the project folder',
    });
  const { text: configText, redacted } = redactProxyCredentials(original);
  if (redacted)
    ctx.onEvent({
      type: 'warning',
      message: 'the proxy user and password in devenv.yml are left out of the bundle',
    });
  const baseId = container.labels[BASE_IMAGE_LABEL] ?? container.imageId;
  const base = await ctx.runtime.inspectImage(baseId);
  if (base === undefined)
    throw new DevenvError('DEVENV_NOT_FOUND', `the image of ${options.name} (${baseId}) is gone`, {
      hint: 'run devenv up to rebuild it',
    });

  const work = path.join(ctx.stateHome, 'tmp', `save-${randomBytes(4).toString('hex')}`);
  await ensureWritableDir(work, STATE_FOLDER);
  const partial = `${options.output}.partial`;
  const tag = imageTag(options.name);
  let committed: string | undefined;
  // The file being written, for the message when the disk fills up.
  let writing = work;
  // A failed write destroys the tar pack under whoever is still adding entries, whose error
  // ("already finalized or destroyed") may arrive first: the write's own error is the one to report.
  let writeError: unknown;
  let pack: ReturnType<typeof tar.pack> | undefined;
  let written: Promise<void> | undefined;
  try {
    let source = baseId;
    if (!options.noState) {
      // Under the environment's lock: an rm or a recreate must not pull the container away mid-commit.
      // Untagged: a save killed before its cleanup leaves no name behind, only an unnamed image.
      committed = await withEnvLock(ctx, options.name, 'devenv save', async () => {
        await requireContainer(ctx, options.name);
        ctx.onEvent({ type: 'info', message: `committing the changes in ${options.name}` });
        const image = await ctx.runtime.commit(options.name, {
          entrypoint: base.entrypoint,
          cmd: base.cmd,
          dropEnv: [...HOST_ONLY_ENV],
        });
        return image.id;
      });
      source = committed;
    }
    await failpoint('bundle.save.after-commit');

    const volumes: BundleManifest['volumes'] = [];
    for (const mount of container.mounts) {
      if (mount.type !== 'volume' || mount.name === undefined) continue;
      const logical = mount.name.startsWith(`devenv-${options.name}-`)
        ? mount.name.slice(`devenv-${options.name}-`.length)
        : mount.name;
      const file = path.join(work, `${logical}.tar`);
      ctx.onEvent({ type: 'info', message: `saving volume ${logical}` });
      await ctx.runtime.exportVolume(mount.name, createWriteStream(file));
      volumes.push({
        name: logical,
        target: mount.target,
        file: `devenv/volumes/${logical}.tar`,
        digest: (await hashFile(file)).digest,
        size: (await stat(file)).size,
      });
    }

    writing = options.output;
    const out = await open(partial, 'w', 0o600);
    pack = tar.pack();
    const archive = new PassThrough();
    // A failed write (a full disk) must also stop the reading side, which would otherwise wait forever.
    const progress = byteProgress({
      intervalMs: BYTE_EVENT_INTERVAL_MS,
      now: options.now ?? Date.now,
      report: (current) => {
        ctx.onEvent({ type: 'transfer:progress', id: options.output, phase: 'write', current });
      },
    });
    written = pipeline(pack, countingStream(progress), out.createWriteStream()).catch((error: unknown) => {
      writeError = error;
      archive.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    // Awaited below once the archive is complete; a failure before that is reported through `archive`.
    written.catch(() => undefined);
    ctx.onEvent({ type: 'info', message: `writing ${options.output}` });
    const [{ imageId }] = await Promise.all([
      rewriteImageArchive(archive, pack, { dropEnv: HOST_ONLY_ENV, tag }),
      ctx.runtime.saveImages([source], archive, ctx.onEvent),
    ]);
    await failpoint('bundle.save.mid-write');
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      name: options.name,
      created: new Date().toISOString(),
      source: { runtime: ctx.runtime.name, devenv: options.devenvVersion },
      image: { ref: tag, id: imageId },
      state: { committed: !options.noState },
      config: {
        file: BUNDLE_CONFIG,
        digest: sha256Of(configText),
      },
      volumes,
    };
    packBody(pack, { name: BUNDLE_CONFIG, mode: 0o644, mtime: new Date(0) }, configText);
    for (const volume of volumes) {
      const entry = packEntry(pack, {
        name: volume.file,
        size: volume.size,
        mode: 0o644,
        mtime: new Date(0),
      });
      await pipeline(
        createReadStream(path.join(work, `${volume.name}.tar`), { highWaterMark: FILE_READ_CHUNK }),
        entry,
      );
    }
    packBody(
      pack,
      { name: BUNDLE_JSON, mode: 0o644, mtime: new Date(0) },
      `${JSON.stringify(manifest, null, 2)}\n`,
    );
    pack.finalize();
    await written;
    ctx.onEvent({ type: 'transfer:done', id: options.output, phase: 'write' });
    await commitPartial(partial, options.output);
    return manifest;
  } catch (thrown) {
    // The pack is destroyed as soon as the write fails, before the pipeline says why: wait for that.
    if (pack?.destroying) await written?.catch(() => undefined);
    const error = writeError ?? thrown;
    await rm(partial, { force: true });
    if (isNoSpace(error))
      throw new DevenvError('DEVENV_NO_SPACE', `no space left on device writing ${writing}`, {
        hint:
          writing === options.output
            ? 'free some space, or write the bundle somewhere else with -o'
            : `free some space on the filesystem of ${path.dirname(writing)}`,
        cause: error,
      });
    throw error;
  } finally {
    if (committed !== undefined)
      await ctx.runtime.removeImage(committed, { force: true }).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
