/**
 * The image half of the in-memory runtime: images with ids, tags, labels, config and files, and the
 * rules Docker applies when a reference is removed (an image a container uses, or one with child
 * images, is refused), so engine code that relies on those refusals behaves as it does on Docker.
 */
import { createHash } from 'node:crypto';
import { DevenvError } from '../../src/errors.js';
import type { ImageSummary } from '../../src/runtime/runtime.js';

/** An image as the fake keeps it: its summary, its parent and the files its layers hold. */
export interface MemoryImage {
  summary: ImageSummary;
  /** The image it was built or committed from. */
  parent: string | undefined;
  /** Path → contents of every file in the image. */
  files: Map<string, string>;
}

/** What a new image is made of; `nonce` makes an otherwise identical image a new one (a commit). */
export interface ImageSpec {
  parent: string | undefined;
  labels: Record<string, string>;
  env: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  files: Map<string, string>;
  nonce?: string | undefined;
}

/** `name` → `name:latest`; ids and references with a tag or digest stay as they are. */
export function normalizeRef(ref: string): string {
  if (ref.startsWith('sha256:') || ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

function conflict(message: string): DevenvError {
  return new DevenvError('DEVENV_RUNTIME_FAILED', `docker image rm failed (exit status 1):\n${message}`);
}

/** Images and tags, as an engine's image store holds them. */
export class ImageStore {
  readonly images = new Map<string, MemoryImage>();
  readonly tags = new Map<string, string>();

  /** The id a reference (tag, full id or id prefix) names, if any. */
  resolve(ref: string): string | undefined {
    if (this.images.has(ref)) return ref;
    const tagged = this.tags.get(normalizeRef(ref));
    if (tagged !== undefined) return tagged;
    if (/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) {
      const hex = ref.replace(/^sha256:/, '');
      const matches = [...this.images.keys()].filter((id) => id.slice(7).startsWith(hex));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  get(ref: string): MemoryImage | undefined {
    const id = this.resolve(ref);
    return id === undefined ? undefined : this.images.get(id);
  }

  /** A copy of the summary with its current tags, as `inspect` returns a fresh document each time. */
  summaryOf(id: string): ImageSummary {
    const image = this.images.get(id);
    if (image === undefined) throw new Error(`memory runtime: no image ${id}`);
    const tags = [...this.tags].filter(([, target]) => target === id).map(([tag]) => tag);
    return structuredClone({ ...image.summary, tags });
  }

  /** Adds an image (the same content gives the same id, as Docker's config digests do) and returns its id. */
  add(spec: ImageSpec): string {
    const content = { ...spec, files: [...spec.files].sort() };
    const id = `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
    if (!this.images.has(id)) {
      this.images.set(id, {
        parent: spec.parent,
        files: new Map(spec.files),
        summary: {
          id,
          tags: [],
          created: new Date().toISOString(),
          size: [...spec.files.values()].reduce((n, text) => n + text.length, 0),
          labels: { ...spec.labels },
          entrypoint: spec.entrypoint === null ? null : [...spec.entrypoint],
          cmd: spec.cmd === null ? null : [...spec.cmd],
          env: [...spec.env],
          repoDigests: [],
        },
      });
    }
    return id;
  }

  /** Points `tag` at `id`; the image it named before keeps its other tags, or becomes untagged. */
  tag(tag: string, id: string): void {
    this.tags.set(normalizeRef(tag), id);
  }

  private children(id: string): string[] {
    return [...this.images.values()].filter((i) => i.parent === id).map((i) => i.summary.id);
  }

  /**
   * `docker image rm`: a tag of an image with other tags is only untagged; the last reference goes
   * with the image unless a container uses it (refused without force) or child images stand on it
   * (then only the tag goes). By id, an image with several tags or with children is refused.
   */
  remove(ref: string, force: boolean, usedBy: (id: string) => string[]): string[] {
    const id = this.resolve(ref);
    if (id === undefined) throw conflict(`Error: No such image: ${ref}`);
    const tags = [...this.tags].filter(([, target]) => target === id).map(([tag]) => tag);
    const byTag = this.tags.has(normalizeRef(ref)) && !this.images.has(ref);
    if (byTag && tags.length > 1) {
      this.tags.delete(normalizeRef(ref));
      return [`Untagged: ${normalizeRef(ref)}`];
    }
    const users = usedBy(id);
    if (users.length > 0 && !force)
      throw conflict(
        `Error response from daemon: conflict: unable to remove repository reference "${ref}" (must force) - container ${users[0] ?? ''} is using its referenced image ${id.slice(7, 19)}`,
      );
    if (!byTag && tags.length > 1 && !force)
      throw conflict(
        `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
      );
    const children = this.children(id);
    if (!byTag && children.length > 0)
      throw conflict(
        `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (cannot be forced) - image has dependent child images`,
      );
    const out = tags.map((tag) => `Untagged: ${tag}`);
    for (const tag of tags) this.tags.delete(tag);
    if (children.length > 0) return out;
    this.images.delete(id);
    return [...out, `Deleted: ${id}`];
  }
}

/** The config a Dockerfile gives on top of its base: ENV, CMD, ENTRYPOINT and LABEL lines, read simply. */
export function readDockerfile(text: string): {
  base: string;
  env: string[];
  cmd: string[] | null | undefined;
  entrypoint: string[] | null | undefined;
  labels: Record<string, string>;
} {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  let base = 'scratch';
  let env: string[] = [];
  let cmd: string[] | null | undefined;
  let entrypoint: string[] | null | undefined;
  let labels: Record<string, string> = {};
  const argv = (rest: string): string[] =>
    rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : ['/bin/sh', '-c', rest.trim()];
  for (const line of lines) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    const [, instruction = '', rest = ''] = match;
    switch (instruction.toUpperCase()) {
      case 'FROM':
        // A new stage starts over: only the last stage's config becomes the image's.
        base = rest.trim().split(/\s+/)[0] ?? 'scratch';
        env = [];
        cmd = undefined;
        entrypoint = undefined;
        labels = {};
        break;
      case 'ENV': {
        const eq = /^(\S+?)=(.*)$/.exec(rest.trim());
        const [name, value] = eq === null ? rest.trim().split(/\s+(.*)/) : [eq[1], eq[2]];
        if (name !== undefined)
          env = [...env.filter((e) => !e.startsWith(`${name}=`)), `${name}=${value ?? ''}`];
        break;
      }
      case 'CMD':
        cmd = argv(rest);
        break;
      case 'ENTRYPOINT':
        entrypoint = argv(rest);
        break;
      case 'LABEL':
        for (const pair of rest.matchAll(/(\S+?)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
          const [, key = '', value = ''] = pair;
          labels[key] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
        }
        break;
      default:
        break;
    }
  }
  return { base, env, cmd, entrypoint, labels };
}
