/**
 * Restores a verified bundle as an environment on this machine: tags the loaded image as the
 * environment's image, refills its named volumes and creates the container. Settings that reach into
 * the host (privileged, host paths outside the project, devices) need the user's consent first.
 */
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { createEnvContainer } from '../engine/container.js';
import type { EngineContext } from '../engine/engine-context.js';
import { shellOfImage, withShell } from '../engine/shell.js';
import { DevenvError } from '../errors.js';
import { volumeName } from '../plan/naming.js';
import type { Plan } from '../plan/types.js';
import type { ContainerSummary } from '../runtime/runtime.js';
import { loadBundleImage } from './load.js';
import type { ReadBundle } from './load.js';
import { FILE_READ_CHUNK } from '../util/read-chunk.js';

/** The settings of a plan that reach into the host, in words, for the consent question. */
export function hostReach(plan: Plan, projectDir: string): string[] {
  const run = plan.run;
  const reach: string[] = [];
  if (run.privileged) reach.push('privileged mode (every capability and device)');
  for (const mount of run.mounts) {
    if (mount.type !== 'bind') continue;
    const inside = mount.source === projectDir || mount.source.startsWith(projectDir + path.sep);
    if (!inside) reach.push(`the host path ${mount.source}${mount.readonly ? ' (read-only)' : ''}`);
  }
  for (const device of run.devices.paths) reach.push(`the device ${device}`);
  if (run.devices.usb) reach.push('all USB devices');
  if (run.devices.x11 !== undefined) reach.push('your X display');
  if (run.devices.gpu) reach.push('the GPUs');
  return reach;
}

/** Refuses when an environment of that name exists; asked before any question or change. */
export async function ensureNameFree(ctx: EngineContext, name: string): Promise<void> {
  if ((await ctx.runtime.inspectContainer(name)) !== undefined) {
    throw new DevenvError('DEVENV_BUSY', `an environment named ${name} already exists here`, {
      hint: 'load it under another name with --name NEW, or remove the existing one (devenv rm)',
    });
  }
}

/**
 * Creates the environment from a verified bundle: loads its image untagged, tags the environment's
 * reference, refills the volumes and creates the container. When a step fails, what the earlier
 * steps made is taken back (the tag returns to its previous image), so a failed load leaves nothing.
 */
export async function restoreBundle(
  ctx: EngineContext,
  bundle: ReadBundle,
  plan: Plan,
  stateDir: string,
): Promise<ContainerSummary> {
  const manifest = bundle.manifest;
  if (manifest === undefined) throw new DevenvError('DEVENV_BUNDLE_INVALID', 'not a devenv bundle');
  const name = plan.run.name;
  await ensureNameFree(ctx, name);
  const undo: (() => Promise<unknown>)[] = [await loadBundleImage(ctx, bundle.file, manifest)];
  try {
    const tag = plan.image.tag;
    const previous = (await ctx.runtime.inspectImage(tag))?.id;
    await ctx.runtime.tagImage(manifest.image.id, tag);
    undo.push(() =>
      previous === undefined
        ? ctx.runtime.removeImage(tag, { force: false })
        : ctx.runtime.tagImage(previous, tag),
    );
    const existing = new Set((await ctx.runtime.listVolumes()).map((v) => v.name));
    for (const volume of manifest.volumes) {
      const full = volumeName(name, volume.name);
      if (existing.has(full)) {
        ctx.onEvent({
          type: 'warning',
          message: `volume ${full} already exists; keeping its contents instead of the bundle's`,
        });
        continue;
      }
      await ctx.runtime.createVolume(full, { 'dev.devenv.name': name });
      undo.push(() => ctx.runtime.removeVolume(full));
      ctx.onEvent({ type: 'info', message: `restoring volume ${volume.name}` });
      await ctx.runtime.importVolume(
        full,
        createReadStream(bundle.volumeFile(volume.name), { highWaterMark: FILE_READ_CHUNK }),
      );
    }
    const image = await ctx.runtime.inspectImage(tag);
    if (image === undefined)
      throw new DevenvError('DEVENV_BUNDLE_INVALID', `the bundle's image ${manifest.image.id} did not load`);
    // A shell the image decides is asked of the loaded image, as up does for a built one.
    const spec =
      plan.run.shellFromImage === true
        ? withShell(plan.run, await shellOfImage(ctx, stateDir, manifest.image.id))
        : plan.run;
    return await createEnvContainer(ctx, spec, stateDir, tag, image);
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}
