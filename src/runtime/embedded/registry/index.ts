/** The embedded runtime's OCI registry client: the only exports the rest of devenv may import. */
export { RegistryClient } from './client.js';
export type { RegistryClientOptions, RepositoryInput, ResolvedImage } from './client.js';
export type { BlobSink } from './sink.js';
export { drainInto, fileSink } from './sink.js';
export type { ProgressCallback } from './blob.js';
export type { OpenStream, PushBlobOptions, PushBlobResult } from './push.js';
export type { FetchedManifest } from './manifest.js';
export { isNetworkFailure } from './network-error.js';
export type { CredentialSource, Credentials } from './credentials.js';
export { dockerCredentials } from './credentials.js';
