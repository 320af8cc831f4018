/**
 * `load FILE` below the command. A plain image archive is loaded as `docker load` would. A bundle is
 * verified whole, then restored by load-environment.ts, which only bundles load.
 */
import path from '../util/node-path.js';
import type { EngineContext } from '../engine/engine-context.js';
import type { Caller } from '../engine/project.js';
import { loadImageArchive, readBundle } from './load.js';

/** What to load and where. */
export interface LoadFileRequest {
  /** The tarball, as the user named it (messages show it so). */
  file: string;
  /** The folder the environment's devenv.yml goes to. */
  projectDir: string;
  /** Restore under this name instead of the bundle's (already checked). */
  name?: string | undefined;
  /** Allow host access (privileged, host paths, devices) without asking. */
  allowHostAccess: boolean;
  caller: Caller;
}

/** What a load made: the images of a plain archive, or a restored environment. */
export type LoadFileResult =
  | { kind: 'images'; loaded: string[] }
  | { kind: 'environment'; name: string; container: string; image: string };

/** Loads `request.file`; see the module comment. */
export async function loadFile(ctx: EngineContext, request: LoadFileRequest): Promise<LoadFileResult> {
  const bundle = await readBundle(ctx, path.resolve(request.caller.cwd, request.file));
  try {
    if (bundle.manifest === undefined || bundle.configText === undefined)
      return { kind: 'images', loaded: await loadImageArchive(ctx, bundle.file) };
    // The environment's part (its devenv.yml checked and planned, the restore) loads only for a
    // bundle: a plain image archive, like `docker load`, needs none of it.
    const { loadEnvironment } = await import('./load-environment.js');
    const { manifest, configText } = bundle;
    return await loadEnvironment(ctx, request, { ...bundle, manifest, configText });
  } finally {
    await bundle.cleanup();
  }
}
