/**
 * From the final {@link SquashTree} to what the squashed layer contains, in the order it is written:
 * 1. whiteouts and opaque markers, only where the base could still show through, so a reader that
 *    applies entries in order (go-archive's UnpackLayer) deletes before it adds;
 * 2. directories, parents first, each with its newest metadata;
 * 3. regular files, streamed from their layers oldest first (the only entries with bodies);
 * 4. symlinks, devices and fifos;
 * 5. hardlinks last, so every target is already written. An object several paths share is written
 *    once, under the first of its paths in tree order; the others link to it.
 * Children are visited in byte order, so the same tree always gives the same plan.
 */
import { DevenvError } from '../../errors.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../layer/entry-name.js';
import type { EntryMeta, Inode, SquashTree, TreeNode } from './squash-tree.js';

/** A regular file to stream from its layer under `rel`. */
export interface PlannedFile {
  rel: string;
  inode: Inode;
}

/** Everything the squashed layer holds; see the module comment for the order. */
export interface SquashPlan {
  /** Marker paths (`a/.wh.b`, `d/.wh..wh..opq`). */
  markers: string[];
  dirs: EntryMeta[];
  /** Regular files by `<layer>:<entry>` of the entry carrying their content. */
  files: Map<string, PlannedFile>;
  /** Symlinks, devices and fifos, with the path each is written under. */
  others: { rel: string; meta: EntryMeta }[];
  /**
   * Hardlinks: `rel` links to `target` (a path written earlier, or one in the base). `meta` is the
   * object's own metadata: go-archive applies a link header's owner, mode and xattrs to the shared
   * inode, so a link written with other values would change the file it points at.
   */
  links: { rel: string; target: string; meta: EntryMeta }[];
}

/** The key of {@link SquashPlan.files}. */
export const fileKey = (layer: number, entry: number) => `${layer}:${entry}`;

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Plans the squashed layer for `tree`. */
export function planSquash(tree: SquashTree): SquashPlan {
  const plan: SquashPlan = { markers: [], dirs: [], files: new Map(), others: [], links: [] };
  const written = new Map<Inode, string>();
  const baseLinks: [string, string][] = [];
  const visit = (node: TreeNode, rel: string, covered: boolean): void => {
    const join = (name: string) => (rel === '' ? name : `${rel}/${name}`);
    const data = node.data;
    if (!covered && node.hidden && data === undefined) {
      const slash = rel.lastIndexOf('/');
      plan.markers.push(`${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`);
    } else if (
      !covered &&
      (node.hidden || node.opaque) &&
      data?.kind !== 'inode' &&
      data?.kind !== 'baselink'
    ) {
      // A directory over base content that must not show through, or an opaque directory of the base.
      plan.markers.push(join(OPAQUE_MARKER));
    }
    if (data?.kind === 'dir') plan.dirs.push(data.meta);
    else if (data?.kind === 'baselink') {
      plan.links.push({ rel, target: data.target, meta: data.meta });
      baseLinks.push([rel, data.target]);
    } else if (data?.kind === 'inode') {
      const first = written.get(data.inode);
      if (first !== undefined) plan.links.push({ rel, target: first, meta: data.inode.meta });
      else {
        written.set(data.inode, rel);
        const { inode } = data;
        if (inode.meta.type === 'file') plan.files.set(fileKey(inode.layer, inode.entry), { rel, inode });
        else plan.others.push({ rel, meta: inode.meta });
      }
    }
    const below = covered || node.hidden || node.opaque;
    for (const name of [...node.children.keys()].sort(byBytes)) {
      const child = node.children.get(name);
      if (child !== undefined) visit(child, join(name), below);
    }
  };
  visit(tree.root, '', false);
  for (const [rel, target] of baseLinks) {
    // Written last, the link would find the newer object (or nothing), not the one it was made to.
    if (!tree.baseShows(target))
      throw new DevenvError(
        'DEVENV_UNSUPPORTED',
        `cannot squash: /${rel} is a hardlink to /${target} of the base image, which a later layer replaces or deletes`,
        { hint: 'Build without squash, or copy the file instead of hard-linking it.' },
      );
  }
  return plan;
}

/** How many entries the plan writes. */
export function planEntries(plan: SquashPlan): number {
  return plan.markers.length + plan.dirs.length + plan.files.size + plan.others.length + plan.links.length;
}
