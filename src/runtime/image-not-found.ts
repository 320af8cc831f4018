/**
 * "This image does not exist", said once and plainly, with the closest name the registry or the local
 * images have. Both runtimes raise it; the engine adds the place in devenv.yml that named the image.
 */
import { DevenvError } from '../errors.js';
import { editDistance, suggest } from '../config/suggest.js';
import { parseReference } from '../image/reference.js';

/** How long the registry may take to list its repositories before the hint is left out. */
const CATALOG_TIMEOUT_MS = 3000;
/** Largest catalog page read; a registry with more repositories gets no hint rather than a slow one. */
const CATALOG_PAGE = 1000;

/** Why an image could not be had: the registry does not have it, or could not be reached at all. */
export type ImageProblem = 'not-found' | 'unreachable';

/** An image a build needed that the registry does not have or could not be asked for. */
export class ImageNotFoundError extends DevenvError {
  /** The reference as the Dockerfile or command named it. */
  readonly ref: string;
  /** Registry host that was asked (`docker.io` for Docker Hub). */
  readonly registry: string;
  readonly problem: ImageProblem;

  constructor(
    ref: string,
    options: { problem?: ImageProblem; hint?: string | undefined; cause?: unknown; where?: string } = {},
  ) {
    const parsed = parseReference(ref);
    const registry = typeof parsed === 'string' ? 'its registry' : parsed.domain;
    const problem = options.problem ?? 'not-found';
    const prefix = options.where === undefined ? '' : `${options.where}: `;
    const message =
      problem === 'not-found'
        ? `base image ${ref} not found in ${registry}`
        : `cannot reach ${registry} to pull the base image ${ref}`;
    super('DEVENV_NOT_FOUND', `${prefix}${message}`, {
      hint:
        options.hint ??
        (problem === 'not-found'
          ? 'check the name and tag; "devenv images" lists what is here'
          : 'check the network and proxy settings, or name an image in a registry you can reach'),
      cause: options.cause,
    });
    this.name = 'ImageNotFoundError';
    this.ref = ref;
    this.registry = registry;
    this.problem = problem;
  }

  /** The same error, placed at `file:line:col` of the field that named the image. */
  at(where: string): ImageNotFoundError {
    return new ImageNotFoundError(this.ref, {
      problem: this.problem,
      hint: this.hint,
      cause: this.cause,
      where,
    });
  }
}

/** Lines of a failed pull or build that say the image (not the network or the daemon) is missing. */
export const NOT_FOUND_PATTERNS: readonly RegExp[] = [
  /manifest for \S+ not found/,
  /manifest unknown/,
  /pull access denied for \S+, repository does not exist/,
  /repository \S+ not found/,
  /: not found$/,
  /name unknown/,
];

/** Lines that say the registry could not be reached at all. */
export const UNREACHABLE_PATTERNS: readonly RegExp[] = [
  /dial tcp\b.*(no such host|connection refused|i\/o timeout|network is unreachable)/,
  /TLS handshake timeout/,
  /server gave HTTP response to HTTPS client/,
];

/** What docker's output says about a pull that failed, if it says it plainly. */
export function pullProblem(output: string): ImageProblem | undefined {
  if (NOT_FOUND_PATTERNS.some((pattern) => pattern.test(output))) return 'not-found';
  if (UNREACHABLE_PATTERNS.some((pattern) => pattern.test(output))) return 'unreachable';
  return undefined;
}

function isLoopback(host: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
}

async function getJson(url: string, fetchImpl: typeof fetch): Promise<unknown> {
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS) });
  if (!response.ok) return undefined;
  return response.json();
}

/**
 * The registry's closest relative of `ref`: another tag of the same repository when it exists, else
 * the repository with the nearest name and the tag asked for. Only loopback registries and those that
 * answer without credentials are asked; any failure or slowness gives none.
 */
async function catalogNeighbour(ref: string, fetchImpl: typeof fetch): Promise<string | undefined> {
  const parsed = parseReference(ref);
  if (typeof parsed === 'string' || parsed.domain === 'docker.io' || parsed.digest !== undefined)
    return undefined;
  const base = `${isLoopback(parsed.domain) ? 'http' : 'https'}://${parsed.domain}/v2`;
  const tag = parsed.tag ?? 'latest';
  try {
    const catalog = (await getJson(`${base}/_catalog?n=${CATALOG_PAGE}`, fetchImpl)) as
      { repositories?: unknown } | undefined;
    const repos = strings(catalog?.repositories);
    if (repos.includes(parsed.path)) {
      const list = (await getJson(`${base}/${parsed.path}/tags/list`, fetchImpl)) as
        { tags?: unknown } | undefined;
      const other = suggest(tag, strings(list?.tags));
      return other === undefined ? undefined : `${parsed.domain}/${parsed.path}:${other}`;
    }
    const repo = suggest(parsed.path, repos);
    return repo === undefined ? undefined : `${parsed.domain}/${repo}:${tag}`;
  } catch {
    return undefined;
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Most typos in a whole reference are a letter or two; more than that is another image. */
const LOCAL_TYPO_DISTANCE = 2;

/**
 * The hint for a missing image: the closest name in the registry's catalogue, else among
 * `localTags`, or `undefined` when nothing is close enough to be a typo.
 */
export async function similarImageHint(
  ref: string,
  localTags: readonly string[],
  fetchImpl: typeof fetch = fetch,
): Promise<string | undefined> {
  const remote = await catalogNeighbour(ref, fetchImpl);
  const local = suggest(
    ref,
    localTags.filter((t) => t !== ref),
  );
  const guess =
    remote ?? (local !== undefined && editDistance(ref, local) <= LOCAL_TYPO_DISTANCE ? local : undefined);
  return guess === undefined ? undefined : `did you mean ${guess}?`;
}
