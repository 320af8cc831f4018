/**
 * `save`: one tarball with the whole environment: the image with the container's writable layer
 * committed on top (proxy and host-only variables stripped from its config), devenv.yml and every
 * named volume. Written to FILE.partial, fsynced and renamed, so FILE is complete or absent.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BASE_IMAGE_LABEL } from '../engine/container.js';
import type { EngineContext } from '../engine/context.js';
import { requireContainer } from '../engine/session.js';
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import { imageTag } from '../plan/naming.js';
import { PROXY_VARIABLES } from '../plan/proxy.js';
import { commitPartial } from '../util/atomic.js';
import { hashFile, sha256Of } from '../util/hash-file.js';
import { failpoint } from '../util/failpoint.js';
import { BUNDLE_CONFIG, BUNDLE_FORMAT, BUNDLE_JSON, BUNDLE_VERSION } from './format.js';
import type { BundleManifest } from './format.js';
import { redactProxyCredentials } from './redact.js';
import { rewriteImageArchive } from './rewrite-archive.js';

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
  await mkdir(work, { recursive: true });
  const partial = `${options.output}.partial`;
  const tag = imageTag(options.name);
  let commitTag: string | undefined;
  try {
    let source = baseId;
    if (!options.noState) {
      commitTag = `devenv-save/${tag.replace(/^devenv\//, '').replace(/:.*$/, '')}:${randomBytes(4).toString('hex')}`;
      ctx.onEvent({ type: 'info', message: `committing the changes in ${options.name}` });
      await ctx.runtime.commit(options.name, {
        tag: commitTag,
        entrypoint: base.entrypoint,
        cmd: base.cmd,
        dropEnv: [...HOST_ONLY_ENV],
      });
      source = commitTag;
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

    const out = await open(partial, 'w', 0o600);
    const pack = tar.pack();
    const writing = pipeline(pack, out.createWriteStream());
    // Awaited only on success; after a failure (ctrl-c mid-stream) a destroyed pack must not turn
    // into an unhandled rejection that ends the process before the cleanups below.
    writing.catch(() => undefined);
    const archive = new PassThrough();
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
    pack.entry({ name: BUNDLE_CONFIG, mode: 0o644, mtime: new Date(0) }, configText);
    for (const volume of volumes) {
      const entry = pack.entry({ name: volume.file, size: volume.size, mode: 0o644, mtime: new Date(0) });
      await pipeline(createReadStream(path.join(work, `${volume.name}.tar`)), entry);
    }
    pack.entry(
      { name: BUNDLE_JSON, mode: 0o644, mtime: new Date(0) },
      `${JSON.stringify(manifest, null, 2)}\n`,
    );
    pack.finalize();
    await writing;
    await commitPartial(partial, options.output);
    return manifest;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    if (commitTag !== undefined)
      await ctx.runtime.removeImage(commitTag, { force: true }).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
