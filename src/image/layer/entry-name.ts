/**
 * Entry names as a layer may spell them, turned into clean paths relative to the layer root, and the
 * OCI whiteout conventions read from them (image-spec layer.md "Whiteouts"; docs/image-formats.md#whiteouts).
 */
import path from '../../util/node-path.js';
import { invalidEntry, limitError } from './layer-limits.js';
import type { LayerLimits } from './layer-limits.js';

/** Prefix of a whiteout file: `.wh.<name>` deletes `<name>` from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';
/** Marker file making its directory opaque: every lower child of the directory is hidden. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Prefix of AUFS bookkeeping entries (`.wh..wh.plnk` and the like), which carry no meaning for us. */
const AUFS_META_PREFIX = '.wh..wh.';

/**
 * Normalizes an entry name or hardlink target to a path relative to the layer root: leading `/` and
 * `./` stripped, `.` and duplicate slashes folded. Returns `''` for the root itself. Throws
 * `DEVENV_ARCHIVE_INVALID` for NUL bytes or a `..` that would leave the layer (`a/../../x`), because a
 * clamp would silently move the file somewhere the layer author did not mean.
 */
export function normalizeEntryName(name: string, limits: LayerLimits, what = 'entry'): string {
  if (name.includes('\0')) throw invalidEntry(name, `${what} name contains a NUL byte`);
  if (Buffer.byteLength(name) > limits.maxPathBytes)
    throw limitError(
      `${what} name length ${Buffer.byteLength(name)}`,
      limits.maxPathBytes,
      name.slice(0, 64),
    );
  const normal = path.posix.normalize(`./${name}`).replace(/^(?:\/+|\.\/)+/, '');
  const rel = normal === '.' || normal === './' ? '' : normal.replace(/\/+$/, '');
  if (rel === '..' || rel.startsWith('../')) throw invalidEntry(name, `${what} leaves the layer`);
  if (rel !== '' && rel.split('/').length > limits.maxDepth)
    throw limitError(`path depth ${rel.split('/').length}`, limits.maxDepth, name.slice(0, 64));
  return rel;
}

/** What an entry name means for whiteout processing. */
export type WhiteoutKind =
  | { kind: 'none' }
  /** Deletes `target` (relative to the layer root) from the lower layers. */
  | { kind: 'whiteout'; target: string }
  /** Hides every lower child of `dir` (relative; `''` is the root). */
  | { kind: 'opaque'; dir: string }
  /** AUFS metadata: skipped. */
  | { kind: 'ignored' };

/**
 * Classifies a normalized entry path. Bare `.wh.`, `.wh..` and `.wh...` are errors, as in go-archive,
 * because they would white out the directory itself or its parent.
 */
export function classifyWhiteout(rel: string): WhiteoutKind {
  const base = path.posix.basename(rel);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  const dir = rel.includes('/') ? path.posix.dirname(rel) : '';
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(AUFS_META_PREFIX)) return { kind: 'ignored' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..')
    throw invalidEntry(rel, `invalid whiteout name ${base} (it names no file)`);
  return { kind: 'whiteout', target: dir === '' ? name : `${dir}/${name}` };
}
