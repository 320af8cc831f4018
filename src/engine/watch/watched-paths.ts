/**
 * Which paths a project's watch cares about: its devenv.yml and the files its COPY steps read (the
 * same `contextPaths` the build context is packed from, so what is watched is exactly what the image
 * digest hashes; `.dockerignore` plays no part there, since the context holds only those paths).
 * Folders are watched rather than files, so an editor that saves by writing a new file and renaming
 * it over the old one (vim) keeps being seen after the first save.
 */
import { stat } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import type { Project } from '../image.js';

/**
 * Files editors write next to the one being edited and that are never a change of it: vim's write
 * test (`4913`) and swap files, backups (`name~`), Emacs locks (`.#name`) and JetBrains' safe-write
 * copies.
 */
export function isEditorTempFile(name: string): boolean {
  return (
    name === '4913' ||
    name.endsWith('~') ||
    /^\..*\.sw[pxon]$/.test(name) ||
    name.startsWith('.#') ||
    name.endsWith('___jb_tmp___') ||
    name.endsWith('___jb_old___')
  );
}

/** The folders to watch and which paths under them matter. */
export interface WatchedPaths {
  /** Absolute folders handed to the file watcher. */
  roots: string[];
  /** Absolute paths of the COPY sources (files or folders; a folder's whole tree matters). */
  sources: string[];
  configFile: string;
  /** True for a path whose change may change the environment. */
  matters: (file: string) => boolean;
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** A folder source is watched from itself; a file source (or a missing one) from its folder. */
async function rootOf(source: string): Promise<string> {
  const info = await stat(source).catch(() => undefined);
  return info?.isDirectory() === true ? source : path.dirname(source);
}

/** The paths of `project` to watch, with `configFile` its devenv.yml. */
export async function watchedPaths(project: Project, configFile: string): Promise<WatchedPaths> {
  const config = path.resolve(configFile);
  const sources = project.plan.image.contextPaths.map((rel) => path.resolve(project.projectDir, rel));
  const roots = [...new Set([path.dirname(config), ...(await Promise.all(sources.map(rootOf)))])];
  const matters = (file: string): boolean => {
    const full = path.resolve(file);
    const parts = path.relative(path.dirname(config), full).split(path.sep);
    if (parts.includes('.git') || isEditorTempFile(path.basename(full))) return false;
    if (full === config || roots.includes(full)) return true;
    return sources.some((source) => isInside(source, full));
  };
  return { roots, sources, configFile: config, matters };
}
