/**
 * The squash's model of the tree: a trie of every path the squashed layers touch, updated layer by
 * layer, oldest first, exactly as the applier would change a real tree (docs/image-formats.md#whiteouts): a layer's
 * whiteouts first, then its entries in tar order. Only metadata is held; a file remembers which entry
 * of which layer carries its content. What the layers below the squash (the base) hold is unknown,
 * so each path also records whether the base's content there is hidden by now: that is what decides
 * which whiteouts and opaque markers the squashed layer must keep.
 */
import { invalidEntry } from '../layer/layer-limits.js';
import type { EntryHeader } from '../layer/tar-entries.js';

/** An entry's metadata as the squash keeps it (the body stays in its layer). */
export interface EntryMeta extends EntryHeader {
  devmajor: number;
  devminor: number;
  xattrs: readonly (readonly [string, Buffer])[];
}

/** A non-directory object; several paths share one after a hardlink. */
export interface Inode {
  meta: EntryMeta;
  /** The layer and entry index whose body is this file's content. */
  layer: number;
  entry: number;
}

/** What a path holds, as far as the squashed layers decide it. */
export type NodeData =
  | { kind: 'dir'; meta: EntryMeta }
  | { kind: 'inode'; inode: Inode }
  /** A hardlink to a path of the base, which the squash cannot see; `meta` is the link entry's. */
  | { kind: 'baselink'; target: string; meta: EntryMeta };

/** One path of the trie. */
export interface TreeNode {
  children: Map<string, TreeNode>;
  data: NodeData | undefined;
  /** The base's content at this path (and below it) is gone: whited out or replaced by a non-directory. */
  hidden: boolean;
  /** The base's children of this directory are gone (an opaque marker). */
  opaque: boolean;
}

const newNode = (): TreeNode => ({ children: new Map(), data: undefined, hidden: false, opaque: false });

/** Where a walk ended: the node (created on the way) and whether the base can still show through. */
interface Walk {
  node: TreeNode;
  baseGone: boolean;
}

/** The state of the squashed tree; see the module comment. */
export class SquashTree {
  readonly root: TreeNode = newNode();

  /** `.wh.<rel>`: removes what the older layers put at `rel` and hides the base's `rel`. */
  whiteout(rel: string): void {
    const walk = this.walk(rel, undefined);
    if (walk === undefined || (walk.baseGone && walk.node.data === undefined)) return;
    walk.node.children.clear();
    walk.node.data = undefined;
    walk.node.hidden = true;
  }

  /** `<dir>/.wh..wh..opq`: removes the older layers' children of `dir` and hides the base's. */
  opaque(dir: string): void {
    const walk = this.walk(dir, undefined);
    if (walk === undefined) return;
    const { node } = walk;
    if (node.data !== undefined && node.data.kind !== 'dir') return;
    if (node.data === undefined && walk.baseGone) return;
    node.children.clear();
    node.opaque = true;
  }

  /** Applies one non-whiteout entry found at `entry` of `layer`. */
  add(meta: EntryMeta, layer: number, entry: number): void {
    if (meta.rel === '') {
      if (meta.type !== 'directory') throw invalidEntry(meta.name, 'the layer root must be a directory');
      this.root.data = { kind: 'dir', meta };
      return;
    }
    const walk = this.walk(meta.rel, meta);
    if (walk === undefined) throw new Error(`squash: no node for ${meta.rel}`);
    const { node } = walk;
    if (meta.type === 'directory') {
      node.data = { kind: 'dir', meta };
      return;
    }
    // The applier removes whatever is there first, then writes; a link to itself then finds nothing.
    node.children.clear();
    node.data = undefined;
    node.hidden = true;
    node.data =
      meta.type === 'link' ? this.linkTarget(meta) : { kind: 'inode', inode: { meta, layer, entry } };
  }

  /**
   * Whether the base's object at `rel` is still what a container sees there: nothing in the squashed
   * layers replaced it, deleted it, or hid it behind a non-directory or an opaque directory above it.
   */
  baseShows(rel: string): boolean {
    let node: TreeNode | undefined = this.root;
    for (const part of rel === '' ? [] : rel.split('/')) {
      if (node.opaque || (node.data !== undefined && node.data.kind !== 'dir')) return false;
      node = node.children.get(part);
      if (node === undefined) return true;
      if (node.hidden) return false;
    }
    return node.data === undefined;
  }

  /** What a hardlink entry links to, resolved in the tree as it stands. */
  private linkTarget(meta: EntryMeta): NodeData {
    const target = meta.linkname ?? '';
    const walk = this.walk(target, undefined, meta);
    const data = walk?.node.data;
    if (data?.kind === 'dir') throw invalidEntry(meta.name, `hardlink target /${target} is a directory`);
    if (data !== undefined) return data;
    if (walk === undefined || walk.baseGone)
      throw invalidEntry(meta.name, `hardlink target /${target} does not exist`);
    return { kind: 'baselink', target, meta };
  }

  /**
   * Walks to `rel`, creating trie nodes on the way. With `creating` (an entry being added), a missing
   * parent that the base cannot provide becomes a directory, as the applier creates it (0755, root).
   * Returns undefined when an ancestor is not a directory, where nothing can exist (a whiteout or
   * an opaque marker there is a no-op); an entry or hardlink there is an error.
   */
  private walk(rel: string, creating: EntryMeta | undefined, link?: EntryMeta): Walk | undefined {
    let node = this.root;
    let baseGone = false;
    const parts = rel === '' ? [] : rel.split('/');
    for (const [i, part] of parts.entries()) {
      if (node.data !== undefined && node.data.kind !== 'dir') {
        const culprit = creating ?? link;
        if (culprit === undefined) return undefined;
        const parent = parts.slice(0, i).join('/');
        throw invalidEntry(culprit.name, `its parent /${parent} is not a directory in the squashed layers`);
      }
      baseGone ||= node.opaque;
      let child = node.children.get(part);
      if (child === undefined) {
        child = newNode();
        node.children.set(part, child);
      }
      baseGone ||= child.hidden;
      const isParent = i < parts.length - 1;
      if (creating !== undefined && isParent && child.data === undefined && baseGone)
        child.data = { kind: 'dir', meta: impliedDir(creating, parts.slice(0, i + 1).join('/')) };
      node = child;
    }
    return { node, baseGone };
  }
}

/** The directory the applier creates for a missing parent. */
function impliedDir(child: EntryMeta, rel: string): EntryMeta {
  return {
    ...child,
    name: rel,
    rel,
    type: 'directory',
    mode: 0o755,
    uid: 0,
    gid: 0,
    linkname: undefined,
    size: 0,
    devmajor: 0,
    devminor: 0,
    xattrs: [],
  };
}
