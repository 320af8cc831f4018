/**
 * `squashLayers`: several image layers into one that is equivalent on top of any base (image-spec
 * layer.md "Applying Changesets"). Two reads of every layer: the first, oldest layer first, replays
 * the layers' whiteouts and entries on a metadata-only model of the tree ({@link SquashTree}); the
 * second streams the bodies of the files that survive. Everything else is written from memory, in
 * the order {@link planSquash} explains. The same input always gives the same bytes.
 *
 * Limits, none of which Docker-made layers run into: names are taken literally, so an entry whose
 * parent path runs through a symlink is refused when the squashed layers made that symlink and
 * misplaced when the base did (the applier would follow it); a hardlink to a base file that a later
 * layer replaces is refused (`DEVENV_UNSUPPORTED`: the squash cannot see the old content); only
 * `SCHILY.xattr.*` records are carried, and AUFS `.wh..wh.*` metadata is dropped as the applier drops it.
 */
import type { Writable } from 'node:stream';
import { DevenvError } from '../../errors.js';
import { classifyWhiteout } from '../layer/entry-name.js';
import { layerLimits, limitError } from '../layer/layer-limits.js';
import type { LayerLimits } from '../layer/layer-limits.js';
import type { LayerEntry } from '../layer/tar-entries.js';
import { readLayer } from './layer-read.js';
import type { LayerInput } from './layer-read.js';
import { fileKey, planEntries, planSquash } from './squash-plan.js';
import type { SquashPlan } from './squash-plan.js';
import { SquashTree } from './squash-tree.js';
import type { EntryMeta } from './squash-tree.js';
import type { TarHeader } from '../layer/tar-header.js';
import { TarWriter } from '../layer/tar-writer.js';

/** Options of {@link squashLayers}. */
export interface SquashOptions {
  /** Caps on every input layer, and on the entries and bytes of the squashed one. */
  limits?: Partial<LayerLimits> | undefined;
}

/** What {@link squashLayers} wrote and read. */
export interface SquashResult {
  /** `sha256:` of the squashed layer tar (its diff ID). */
  diffId: string;
  /** Bytes of the squashed layer tar. */
  size: number;
  /** Entries in the squashed layer. */
  entries: number;
  /** Diff IDs of the input layers, oldest first, as read. */
  inputs: string[];
}

/**
 * Writes to `output` one uncompressed layer tar equivalent to applying `layers` (oldest first) in
 * order on top of whatever lies below them, then ends `output`. Throws `DevenvError`s for invalid or
 * oversized input (`DEVENV_ARCHIVE_INVALID`, `DEVENV_LIMIT`), `DEVENV_DIGEST_MISMATCH` when a layer
 * changes between its two reads and `DEVENV_UNSUPPORTED` for the hardlink case above. On any
 * failure `output` is destroyed, without an error event: the rejection is the report.
 */
export async function squashLayers(
  layers: readonly LayerInput[],
  output: Writable,
  options: SquashOptions = {},
): Promise<SquashResult> {
  const limits = layerLimits(options.limits);
  try {
    const tree = new SquashTree();
    const inputs: string[] = [];
    for (const [i, layer] of layers.entries()) inputs.push(await replay(tree, layer, i, limits));
    const plan = planSquash(tree);
    const entries = planEntries(plan);
    if (entries > limits.maxEntries) throw limitError('squashed layer entry count', limits.maxEntries);
    const writer = new TarWriter(output, limits.maxBytes);
    await writeFromMemory(writer, plan, 'before-files');
    for (const [i, layer] of layers.entries()) {
      const seen = await streamFiles(writer, plan, layer, i, limits);
      if (seen !== inputs[i])
        throw new DevenvError(
          'DEVENV_DIGEST_MISMATCH',
          `layer ${i} changed between its two reads: ${inputs[i] ?? ''}, then ${seen}`,
        );
    }
    await writeFromMemory(writer, plan, 'after-files');
    const diffId = await writer.finish();
    return { diffId, size: writer.bytes, entries: writer.entries, inputs };
  } catch (error) {
    output.destroy();
    throw error;
  }
}

/** Pass 1 for one layer: its whiteouts first, then its entries in order. Returns its diff ID. */
async function replay(
  tree: SquashTree,
  input: LayerInput,
  layer: number,
  limits: LayerLimits,
): Promise<string> {
  const read = await readLayer(input, limits);
  const kept: { meta: Omit<EntryMeta, 'devmajor' | 'devminor' | 'xattrs'>; index: number }[] = [];
  let index = 0;
  for await (const entry of read.entries) {
    const kind = classifyWhiteout(entry.rel);
    if (kind.kind === 'whiteout') tree.whiteout(kind.target);
    else if (kind.kind === 'opaque') tree.opaque(kind.dir);
    else if (kind.kind === 'none') kept.push({ meta: metaOf(entry), index });
    index++;
  }
  for (const { meta, index: at } of kept) {
    const extras = read.scanner.extras.get(at);
    tree.add({ ...meta, devmajor: 0, devminor: 0, xattrs: [], ...extras }, layer, at);
  }
  return read.digest.digest();
}

function metaOf(entry: LayerEntry): Omit<EntryMeta, 'devmajor' | 'devminor' | 'xattrs'> {
  const { name, rel, type, mode, uid, gid, mtime, linkname, size } = entry;
  return { name, rel, type, mode, uid, gid, mtime, linkname, size };
}

/** Pass 2 for one layer: writes the planned files whose content it carries. Returns its diff ID. */
async function streamFiles(
  writer: TarWriter,
  plan: SquashPlan,
  input: LayerInput,
  layer: number,
  limits: LayerLimits,
): Promise<string> {
  const read = await readLayer(input, limits);
  let index = 0;
  for await (const entry of read.entries) {
    const file = plan.files.get(fileKey(layer, index++));
    if (file !== undefined) await writer.add(header(file.rel, file.inode.meta), entry.body);
  }
  return read.digest.digest();
}

/** The body-less parts of the plan: markers and directories before the files, the rest after. */
async function writeFromMemory(writer: TarWriter, plan: SquashPlan, part: 'before-files' | 'after-files') {
  if (part === 'before-files') {
    for (const name of plan.markers)
      await writer.add({ name, type: 'file', mode: 0o644, size: 0, mtime: new Date(0) });
    for (const meta of plan.dirs) await writer.add(header(meta.rel === '' ? './' : meta.rel, meta));
    return;
  }
  for (const { rel, meta } of plan.others) await writer.add(header(rel, meta));
  for (const { rel, target, meta } of plan.links)
    await writer.add({ ...header(rel, meta), type: 'link', size: 0, linkname: target });
}

function header(name: string, meta: EntryMeta): TarHeader {
  const type = meta.type;
  return {
    name,
    type,
    mode: meta.mode,
    uid: meta.uid,
    gid: meta.gid,
    mtime: meta.mtime,
    size: type === 'file' ? meta.size : 0,
    linkname: type === 'symlink' ? meta.linkname : undefined,
    devmajor: meta.devmajor,
    devminor: meta.devminor,
    xattrs: meta.xattrs,
  };
}
