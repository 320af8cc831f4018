/**
 * The registry client the image store calls: resolve an image reference to verified manifests, stream
 * verified blobs into a caller's sink, push blobs and manifests, and log in. It keeps no state on disk
 * except `login`'s credentials, and owns no store: the caller decides where bytes go.
 */
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { declareFailpoints } from '../../../util/failpoint.js';
import { familiarReference, parseReference } from '../../../image/reference.js';
import type { ImageReference } from '../../../image/reference.js';
import { checkBlobDescriptor } from './blob.js';
import type { ProgressCallback } from './blob.js';
import { dockerCredentials } from './credentials.js';
import type { CredentialSource, Credentials } from './credentials.js';
import { checkDigest, checkManifestReference, checkRepository } from './digest.js';
import type { RegistrySettings } from './endpoint.js';
import { limitError, registryError } from './errors.js';
import { normalizeRegistryHost, storeCredentials, verifyCredentials } from './login.js';
import { fetchManifest, headManifest } from './manifest.js';
import type { FetchedManifest } from './manifest.js';
import type { TargetPlatform } from '../../../image/oci/platform.js';
import { blobExists, pushBlob, pushScope, putManifest } from './push.js';
import type { OpenStream, PushBlobOptions, PushBlobResult } from './push.js';
import { checkImageManifest, selectImageManifest } from './resolve.js';
import type { ImageManifestDocument } from './resolve.js';
import type { Descriptor } from '../../../image/oci/manifest-schemas.js';
import type { SessionContext } from './session.js';
import { drainInto } from './sink.js';
import type { BlobSink } from './sink.js';
import { EndpointRouter } from './routing.js';
import { TokenCache } from './token.js';
import { Transport } from './transport.js';
import type { FetchLike } from './transport.js';

declareFailpoints(
  'registry.manifest.after-fetch',
  'registry.blob.mid-stream',
  'registry.blob.before-commit',
  'registry.push.after-blob',
  'registry.push.before-manifest',
);

/** Everything the client needs; no ambient globals (house rule 8). */
export interface RegistryClientOptions {
  settings: RegistrySettings;
  homeDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The platform to pick from multi-platform images; see `platformFromNode`. */
  platform: TargetPlatform;
  /** Defaults to Docker's config.json and credential helpers under `homeDir`/`env`. */
  credentials?: CredentialSource | undefined;
  connectTimeoutMs?: number | undefined;
  idleTimeoutMs?: number | undefined;
  /** Clock for token expiry (ms). */
  now?: (() => number) | undefined;
  allowForeignLayers?: boolean | undefined;
  /** Test seams: a recording fetch, and DNS that maps test names to loopback. */
  fetch?: FetchLike | undefined;
  lookup?: LookupFunction | undefined;
  /** The command run's interrupt: it aborts requests and body reads in flight. */
  signal?: AbortSignal | undefined;
}

/** A repository: `localhost:5000/team/app` or `{domain, path}` as in a resolved image. */
export type RepositoryInput = string | { domain: string; path: string };

/** An image reference resolved to the one manifest that runs on the client's platform. */
export interface ResolvedImage {
  reference: ImageReference;
  repository: { domain: string; path: string };
  manifestDigest: string;
  manifest: ImageManifestDocument;
  /** The index the reference named, when it named one. */
  index: Extract<FetchedManifest, { kind: 'index' }> | undefined;
  config: Descriptor;
  layers: Descriptor[];
}

/** See the module comment. Call {@link close} when done. */
export class RegistryClient {
  private readonly transport: Transport;
  private readonly context: SessionContext;
  private readonly router: EndpointRouter;
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();

  constructor(private readonly options: RegistryClientOptions) {
    this.transport = new Transport(options);
    const source = options.credentials ?? dockerCredentials(options.homeDir, options.env);
    this.context = {
      transport: this.transport,
      settings: options.settings,
      tokens: new TokenCache(options.now ?? Date.now),
      credentials: (host) => {
        let found = this.credentialCache.get(host);
        if (found === undefined) {
          found = source.get(host);
          found.catch(() => this.credentialCache.delete(host));
          this.credentialCache.set(host, found);
        }
        return found;
      },
    };
    this.router = new EndpointRouter(this.context);
  }

  /** Resolves `reference` (digest wins over tag; tag defaults to `latest`) for `platform`. */
  async resolveImage(
    reference: string | ImageReference,
    options: { platform?: TargetPlatform } = {},
  ): Promise<ResolvedImage> {
    const ref = typeof reference === 'string' ? parseReference(reference) : reference;
    if (typeof ref === 'string')
      throw registryError(`invalid image reference ${JSON.stringify(reference)}: ${ref}`);
    const repository = { domain: ref.domain, path: checkRepository(ref.path) };
    const where = familiarReference(ref);
    const top = await this.fetchManifest(repository, ref.digest ?? ref.tag ?? 'latest');
    const manifest = await selectImageManifest(
      top,
      options.platform ?? this.options.platform,
      (digest) => this.fetchManifest(repository, digest),
      where,
    );
    checkImageManifest(manifest, where);
    return {
      reference: ref,
      repository,
      manifestDigest: manifest.digest,
      manifest,
      index: top.kind === 'index' ? top : undefined,
      config: manifest.parsed.config,
      layers: manifest.parsed.layers,
    };
  }

  /** The manifest or index `reference` (tag or digest) of `repository`, verified, from a mirror or the origin. */
  async fetchManifest(repository: RepositoryInput, reference: string): Promise<FetchedManifest> {
    const repo = toRepository(repository);
    checkManifestReference(reference);
    const where = `${repo.domain}/${repo.path}${reference.includes(':') ? '@' : ':'}${reference}`;
    return this.router.withPullFallback(repo.domain, (s) => fetchManifest(s, repo.path, reference, where));
  }

  /**
   * The digest `reference` points at on the origin (HEAD), or undefined when it does not exist: a
   * cheap "is my copy current" check that costs no Docker Hub pull quota. Unverified: never content.
   */
  async headManifest(repository: RepositoryInput, reference: string) {
    const repo = toRepository(repository);
    checkManifestReference(reference);
    return headManifest(await this.router.origin(repo.domain), repo.path, reference);
  }

  /**
   * Streams blob `descriptor` into `sink` and commits it only after its size and sha256 matched;
   * on any failure the sink is discarded and the error thrown. Mirrors are tried first.
   */
  async fetchBlob(
    repository: RepositoryInput,
    descriptor: Descriptor,
    sink: BlobSink,
    onProgress?: ProgressCallback,
  ): Promise<void> {
    const stream = this.blobStream(toRepository(repository), descriptor, onProgress);
    await drainInto(stream, sink, `blob ${descriptor.digest}`, descriptor.size);
  }

  /** The blob as a stream that errors, instead of ending, unless size and digest matched. */
  openBlob(repository: RepositoryInput, descriptor: Descriptor, onProgress?: ProgressCallback): Readable {
    return Readable.from(this.blobStream(toRepository(repository), descriptor, onProgress), {
      objectMode: false,
    });
  }

  /** A small blob (such as an image config) in memory, verified; at most `maxBytes`. */
  async readBlob(
    repository: RepositoryInput,
    descriptor: Descriptor,
    maxBytes = 20 * 1024 * 1024,
  ): Promise<Uint8Array> {
    if (descriptor.size > maxBytes)
      throw limitError(
        `blob ${descriptor.digest} is ${descriptor.size} bytes, over the ${maxBytes}-byte limit for in-memory reads`,
      );
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.blobStream(toRepository(repository), descriptor)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** True when the origin registry has blob `digest` in `repository`. */
  async blobExists(repository: RepositoryInput, digest: string): Promise<boolean> {
    const repo = toRepository(repository);
    checkDigest(digest, `a blob of ${repo.path}`);
    return blobExists(await this.router.origin(repo.domain), repo.path, digest, [
      `repository:${repo.path}:pull`,
    ]);
  }

  /** Uploads a blob to the origin unless it is already there; `openStream` may be called more than once. */
  async pushBlob(
    repository: RepositoryInput,
    descriptor: Descriptor,
    openStream: OpenStream,
    options?: PushBlobOptions,
  ): Promise<PushBlobResult> {
    const repo = toRepository(repository);
    checkDigest(descriptor.digest, `a blob to push to ${repo.path}`);
    return pushBlob(await this.router.origin(repo.domain), repo.path, descriptor, openStream, options);
  }

  /** PUTs raw manifest bytes as `reference` (tag or digest); returns the manifest digest. */
  async putManifest(
    repository: RepositoryInput,
    reference: string,
    raw: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    const repo = toRepository(repository);
    checkManifestReference(reference);
    return putManifest(await this.router.origin(repo.domain), repo.path, reference, raw, mediaType);
  }

  /** True when the origin has blob `digest`, asking with push scope (saves a token round trip before uploads). */
  async blobExistsForPush(repository: RepositoryInput, digest: string): Promise<boolean> {
    const repo = toRepository(repository);
    checkDigest(digest, `a blob of ${repo.path}`);
    return blobExists(await this.router.origin(repo.domain), repo.path, digest, [pushScope(repo.path)]);
  }

  /** Verifies the credentials against `registry`, then stores them as Docker would. */
  async login(registry: string, username: string, password: string): Promise<void> {
    if (username === '' || password === '') throw registryError('login needs a user name and a password');
    const host = normalizeRegistryHost(registry);
    const endpoint = (await this.router.origin(host)).endpoint;
    const tokens = new TokenCache(this.options.now ?? Date.now);
    await verifyCredentials(endpoint, { ...this.context, tokens }, { kind: 'basic', username, password });
    await storeCredentials(this.options.homeDir, this.options.env, host, username, password);
    this.credentialCache.delete(host);
  }

  /** Closes all connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  private blobStream(
    repo: { domain: string; path: string },
    descriptor: Descriptor,
    onProgress?: ProgressCallback,
  ): AsyncGenerator<Uint8Array> {
    const allowForeignLayers = this.options.allowForeignLayers === true;
    // Checked here, not only in blobChunks, so a bad digest is refused before any endpoint is probed.
    checkBlobDescriptor(descriptor, checkRepository(repo.path), allowForeignLayers);
    return this.router.blobStream(repo, descriptor, { onProgress, allowForeignLayers });
  }
}

function toRepository(input: RepositoryInput): { domain: string; path: string } {
  if (typeof input !== 'string') return { domain: input.domain, path: checkRepository(input.path) };
  const parsed = parseReference(input);
  if (typeof parsed === 'string' || parsed.tag !== undefined || parsed.digest !== undefined)
    throw registryError(
      `invalid repository ${JSON.stringify(input)}: expected host/name without a tag or digest`,
    );
  return { domain: parsed.domain, path: checkRepository(parsed.path) };
}
