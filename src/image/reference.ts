/**
 * Image references as Docker parses them (distribution/reference): `[host[:port]/]path[:tag][@digest]`.
 * Pure; shared by config validation, both runtimes, the registry client and the archive readers.
 */
import { DevenvError } from '../errors.js';

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** Registry host as written (`docker.io` when none was given). */
  domain: string;
  /** Repository path (`library/ubuntu` for `ubuntu`). */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;

/** True for a canonical `sha256:<64 hex>` digest, the only form allowed to become a file name. */
export function isSha256Digest(value: string): boolean {
  return SHA256.test(value);
}

function isDomain(candidate: string): boolean {
  const colon = candidate.lastIndexOf(':');
  let host = candidate;
  if (colon !== -1 && !candidate.endsWith(']')) {
    const port = candidate.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port)) return false;
    host = candidate.slice(0, colon);
  }
  if (host.startsWith('[') && host.endsWith(']')) return /^\[[0-9a-fA-F:.]+\]$/.test(host);
  return host.split('.').every((part) => DOMAIN_COMPONENT.test(part));
}

/**
 * Parses a reference, or returns a sentence saying what is wrong with it.
 * @example parseReference('ubuntu:xenial') // {domain: 'docker.io', path: 'library/ubuntu', tag: 'xenial'}
 */
export function parseReference(input: string): ImageReference | string {
  if (input === '') return 'an image reference cannot be empty';
  if (input.length > 255 + 128 + 80) return 'the image reference is too long';
  if (/\s/.test(input)) return 'an image reference cannot contain whitespace';
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return `"${digest}" is not a valid digest (expected sha256:<64 hex digits>)`;
    if (digest.startsWith('sha256:') && !SHA256.test(digest))
      return `"${digest}" is not a valid sha256 digest`;
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return `"${tag}" is not a valid tag (letters, digits, "_", "." and "-"; at most 128)`;
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first))
  ) {
    if (!isDomain(first)) return `"${first}" is not a valid registry host`;
    domain = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => p === '')) return 'the repository path has an empty component';
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      return /[A-Z]/.test(part)
        ? `repository names must be lowercase ("${part}")`
        : `"${part}" is not a valid repository name component (lowercase letters, digits and separators)`;
    }
  }
  let path = parts.join('/');
  if (path.length > 255) return 'the repository name is longer than 255 characters';
  if ((domain === DEFAULT_DOMAIN || domain === 'index.docker.io') && parts.length === 1)
    path = `library/${path}`;
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  return { domain, path, tag, digest };
}

/** The fully qualified form, `docker.io/library/ubuntu:latest`; the tag defaults to `latest` unless a digest is given. */
export function formatReference(ref: ImageReference, options: { defaultTag?: boolean } = {}): string {
  const tag = ref.tag ?? (ref.digest === undefined && options.defaultTag !== false ? 'latest' : undefined);
  return `${ref.domain}/${ref.path}${tag === undefined ? '' : `:${tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** The shortest form Docker prints (`ubuntu:xenial`, `localhost:5000/x:1`). */
export function familiarReference(ref: ImageReference): string {
  let name = ref.path;
  if (ref.domain === DEFAULT_DOMAIN) {
    if (name.startsWith('library/')) name = name.slice('library/'.length);
  } else {
    name = `${ref.domain}/${name}`;
  }
  const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  return `${name}${tag === undefined ? '' : `:${tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/**
 * The stored form of a tag reference: fully qualified with the tag defaulted to `latest`. Digest
 * references (`name@sha256:…`) are refused: a tag names a moving target, a digest does not.
 */
export function normalizeTag(input: string): string {
  const parsed = parseReference(input);
  if (typeof parsed === 'string')
    throw new DevenvError('DEVENV_USAGE', `invalid image reference ${JSON.stringify(input)}: ${parsed}`);
  if (parsed.digest !== undefined)
    throw new DevenvError('DEVENV_USAGE', `${input} names a digest; a tag needs name[:tag]`);
  return formatReference(parsed);
}

/** The short form Docker prints (`busybox:latest`) of a stored reference. */
export function familiarTag(stored: string): string {
  const parsed = parseReference(stored);
  return typeof parsed === 'string' ? stored : familiarReference(parsed);
}
