/**
 * Restores a verified bundle as an environment on this machine: tags the loaded image as the
 * environment's image, refills its named volumes and creates the container. Settings that reach into
 * the host (privileged, host paths outside the project, devices) need the user's consent first.
 */
import path from '../util/node-path.js';
import { createReadStream } from 'node:fs';
import { createEnvContainer } from '../engine/container.js';
import type { EngineContext } from '../engine/engine-context.js';
import { shellOfImage, withShell } from '../engine/shell.js';
import { DevenvError } from '../errors.js';
import { volumeName } from '../plan/naming.js';
import type { Plan } from '../plan/types.js';
import type { ContainerSummary } from '../runtime/runtime.js';
import { failpoint } from '../util/failpoint.js';
import { loadBundleImage } from './load.js';
import type { ReadBundle } from './load.js';
import { removeRestoreJournal, undoUnfinishedRestore, writeRestoreJournal } from './restore-journal.js';
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

/** Where a restore takes an environment's parts from: a verified bundle, or another runtime (move). */
export interface RestoreSource {
  /** The `sha256:` id the environment image has once loaded. */
  imageId: string;
  /** Loads the image untagged; returns what removes it again on failure. */
  loadImage: () => Promise<() => Promise<void>>;
  /** The named volumes, by their name within the environment. */
  volumes: readonly { name: string }[];
  /** Fills the new, empty volume `full` with the contents of the saved volume `name`. */
  fillVolume: (name: string, full: string) => Promise<void>;
}

/** A verified bundle as a {@link RestoreSource}. */
export function bundleSource(ctx: EngineContext, bundle: ReadBundle): RestoreSource {
  const manifest = bundle.manifest;
  if (manifest === undefined) throw new DevenvError('DEVENV_BUNDLE_INVALID', 'not a devenv bundle');
  return {
    imageId: manifest.image.id,
    loadImage: () => loadBundleImage(ctx, bundle.file, manifest),
    volumes: manifest.volumes,
    fillVolume: (name, full) =>
      ctx.runtime.importVolume(
        full,
        createReadStream(bundle.volumeFile(name), { highWaterMark: FILE_READ_CHUNK }),
      ),
  };
}

/**
 * Creates the environment from a verified bundle: loads its image untagged, refills the volumes, tags
 * the environment's reference and creates the container. When a step fails, what the earlier steps
 * made is taken back (the tag returns to its previous image), so a failed load leaves nothing; a
 * killed one leaves a journal (see restore-journal.ts) that the next load of the name acts on.
 */
export function restoreBundle(
  ctx: EngineContext,
  bundle: ReadBundle,
  plan: Plan,
  stateDir: string,
): Promise<ContainerSummary> {
  return restoreEnvironment(ctx, bundleSource(ctx, bundle), plan, stateDir);
}

/** {@link restoreBundle} from any {@link RestoreSource}. */
export async function restoreEnvironment(
  ctx: EngineContext,
  source: RestoreSource,
  plan: Plan,
  stateDir: string,
): Promise<ContainerSummary> {
  const name = plan.run.name;
  await ensureNameFree(ctx, name);
  await undoUnfinishedRestore(ctx, stateDir);
  const undo: (() => Promise<unknown>)[] = [await source.loadImage()];
  try {
    const tag = plan.image.tag;
    const previous = (await ctx.runtime.inspectImage(tag))?.id;
    const existing = new Set((await ctx.runtime.listVolumes()).map((v) => v.name));
    const fresh = source.volumes.filter((volume) => !existing.has(volumeName(name, volume.name)));
    await writeRestoreJournal(stateDir, {
      tag,
      previous,
      volumes: fresh.map((volume) => volumeName(name, volume.name)),
    });
    undo.push(() => removeRestoreJournal(stateDir));
    for (const volume of source.volumes) {
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
      await failpoint('bundle.load.mid-volumes');
      ctx.onEvent({ type: 'info', message: `restoring volume ${volume.name}` });
      await source.fillVolume(volume.name, full);
    }
    await ctx.runtime.tagImage(source.imageId, tag);
    undo.push(() =>
      previous === undefined
        ? ctx.runtime.removeImage(tag, { force: false })
        : ctx.runtime.tagImage(previous, tag),
    );
    const image = await ctx.runtime.inspectImage(tag);
    if (image === undefined)
      throw new DevenvError('DEVENV_BUNDLE_INVALID', `the bundle's image ${source.imageId} did not load`);
    // A shell the image decides is asked of the loaded image, as up does for a built one.
    const spec =
      plan.run.shellFromImage === true
        ? withShell(plan.run, await shellOfImage(ctx, stateDir, source.imageId))
        : plan.run;
    const container = await createEnvContainer(ctx, spec, stateDir, tag, image);
    await removeRestoreJournal(stateDir);
    return container;
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}
