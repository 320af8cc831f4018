/** Names devenv derives from an environment name: image tags, volume names, the hostname. */
import { crypto } from '../util/crypto.js';

function shortHash(text: string): string {
  return crypto().createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/**
 * A repository-name component for `name`: lowercase, separators collapsed. When that loses
 * information (`My_Env` and `my-env` would collide), a short hash of the original is appended.
 * @example imageSlug('artik') // 'artik'
 */
export function imageSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === name ? slug : `${slug === '' ? 'env' : slug}-${shortHash(name)}`;
}

/** The tag of the environment's image. */
export function imageTag(name: string): string {
  return `devenv/${imageSlug(name)}:latest`;
}

/** The tag of an image made from a non-registry base (`stage` is undefined for the environment itself). */
export function baseTag(name: string, stage: string | undefined): string {
  return `devenv/${imageSlug(name)}-base:${stage === undefined ? 'latest' : `stage-${imageSlug(stage)}`}`;
}

/** The Docker volume name of a named volume of this environment. */
export function volumeName(name: string, volume: string): string {
  return `devenv-${name}-${volume}`;
}

/** A valid hostname (RFC 1123 label) derived from the environment name. */
export function hostnameFor(name: string): string {
  const label = name
    .replace(/[^a-zA-Z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return label === '' ? 'devenv' : label;
}
