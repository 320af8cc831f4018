/**
 * What makes two bootstrap bases the same: distribution, suite, variant and mirror. The key is kept
 * as a label on the base image, on both runtimes, so a later build finds the base it made before and
 * does not run the tool (or touch the network) again until `--pull`.
 */
import { chooseMirror } from './apt-sources.js';
import type { AptSource, BootstrapDistribution } from './apt-sources.js';

/** The label holding a bootstrap base's key. */
export const BOOTSTRAP_LABEL = 'dev.devenv.bootstrap';
/** The label holding the content digest of the root filesystem tarball a `tarball` base came from. */
export const SOURCE_LABEL = 'dev.devenv.source';

/** The package set debootstrap and mmdebstrap install: `minbase` is essential packages and apt. */
export const BOOTSTRAP_VARIANT = 'minbase';

/** What a bootstrap base is made from. */
export interface BootstrapSpec {
  distribution: BootstrapDistribution;
  suite: string;
  variant: string;
  /** The mirror actually used (see chooseMirror). */
  mirror: string;
}

/** The key of a bootstrap base, such as `debian:bookworm minbase http://deb.debian.org/debian`. */
export function bootstrapKey(spec: BootstrapSpec): string {
  return `${spec.distribution}:${spec.suite} ${spec.variant} ${spec.mirror.replace(/\/+$/, '')}`;
}

/**
 * A `LABEL` instruction for `docker import --change`, its value double-quoted: the Dockerfile
 * parser would otherwise split it at spaces and expand `$` in it.
 */
export function labelChange(name: string, value: string): string {
  return `LABEL ${name}="${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** What devenv.yml says about a bootstrap base (a plan's `bootstrap` prerequisite has these). */
export interface BootstrapRequest {
  distribution: BootstrapDistribution;
  suite: string;
  mirror?: string | undefined;
}

/** The spec a bootstrap base is made from: its mirror chosen (see chooseMirror), variant minbase. */
export function bootstrapSpec(request: BootstrapRequest, hostSources: readonly AptSource[]): BootstrapSpec {
  const { distribution, suite } = request;
  const mirror = chooseMirror(distribution, suite, request.mirror, hostSources);
  return { distribution, suite, variant: BOOTSTRAP_VARIANT, mirror };
}
