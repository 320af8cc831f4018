/** The contract between the benchmark runner and its modules. */
import type { Services } from '../../test/e2e/setup/services.js';

/** What every benchmark module gets from the runner. */
export interface BenchContext {
  /** Root of the devenv repository (where `dist/devenv.cjs`, the executable, is). */
  repoRoot: string;
  /** Absolute path of the built CLI; run it as `node <cli>`. */
  cli: string;
  /** The private dockerd, loopback registries and base images, started once for the whole run. */
  services: Services;
  /** `unix://…` socket of the private dockerd. */
  dockerHost: string;
  /**
   * Environment of every benchmarked command, devenv's and the peers' alike: the private
   * DOCKER_HOST, an isolated HOME, PATH, NO_COLOR.
   */
  env: Record<string, string>;
  /** Timed runs per command (`--runs`). */
  runs: number;
  /** Untimed runs before them. */
  warmup: number;
  /** Survives between runs: installed peers (the devcontainers CLI), base image tarballs. */
  cacheDir: string;
  /** A fresh scratch folder for this module; removed with the services. */
  workDir: string;
  /** Progress for the person watching (stderr); results go in rows. */
  log: (message: string) => void;
}

/** One comparison: devenv and a peer doing the same work, both medians in milliseconds. */
export interface Row {
  benchmark: string;
  devenvMs?: number | undefined;
  /** The peer's command, as shown in the table. */
  peer: string;
  peerMs?: number | undefined;
  /** Why the peer could not be measured (not installable here); the run still succeeds. */
  peerUnavailable?: string | undefined;
  /** Why the benchmark could not run; the runner exits non-zero. */
  error?: string | undefined;
  /**
   * What the two figures count: milliseconds (the default), megabytes (disk use), mebibytes (peak
   * resident memory), or percent of one core (CPU use).
   */
  unit?: 'ms' | 'MB' | 'MiB' | '%' | undefined;
}

/** A benchmark module: `export async function bench(ctx)`. */
export type BenchModule = (ctx: BenchContext) => Promise<Row[]>;
