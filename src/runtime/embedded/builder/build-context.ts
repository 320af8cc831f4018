/** What every part of one embedded build shares. */
import type { EventSink } from '../../events.js';
import type { LeaseHandle, Store } from '../store/index.js';
import type { StepCache } from './step-cache.js';

export interface BuildContext {
  store: Store;
  cache: StepCache;
  lease: LeaseHandle;
  /** The build's scratch folder in the store (`tmp/build-…`). */
  scratch: string;
  /** Pulls `ref` into the store; resolves with the image ID. */
  pull(ref: string): Promise<string>;
  arch: string;
  onEvent: EventSink;
  signal?: AbortSignal | undefined;
  now(): Date;
}

/** One Dockerfile to build: its text, where it came from and what it may read. */
export interface DockerfileJob {
  text: string;
  /** Shown in errors (`FILE:LINE`). */
  file: string;
  contextDir: string;
  target?: string | undefined;
  buildArgs: Record<string, string>;
  proxyArgs: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  /**
   * Which tar the Docker runtime would send this context in (Docker hashes COPY sources from it):
   * the docker CLI's for a user Dockerfile, devenv's own for the generated one.
   */
  contextTar: 'docker-cli' | 'devenv';
  /** Context paths `.dockerignore` leaves out (a user Dockerfile's context). */
  ignored?: ((rel: string) => boolean) | undefined;
  /** References made locally before this build (never pulled). */
  localRefs: ReadonlySet<string>;
}
