/**
 * The steps a stage builder hands its executor: one per instruction, each with the run config
 * after the instruction (`config`, stored as the image's `config`), the probe config the cache
 * compares and Docker stores as `container_config`, and the history line (`createdBy`).
 */
import type { DockerfileInstruction } from '../dockerfile/index.js';
import type { RunConfig } from './run-config.js';

/** What every step carries. */
interface StepBase {
  instruction: DockerfileInstruction;
  /** The MAINTAINER in effect, written as the image config's `author`. */
  author?: string | undefined;
}

/** A metadata-only instruction (ENV LABEL ARG USER EXPOSE VOLUME CMD ENTRYPOINT STOPSIGNAL SHELL MAINTAINER): commit an empty layer. */
export interface MetaStep extends StepBase {
  kind: 'meta';
  probe: RunConfig;
  config: RunConfig;
  createdBy: string;
}

/** RUN: run `argv` in the sandbox and commit the difference. */
export interface RunStep extends StepBase {
  kind: 'run';
  argv: string[];
  /** Env the process gets: config Env + build args in scope + proxy args (never persisted). */
  env: string[];
  /** The USER in effect, unresolved (`name`, `uid`, `name:group`…); '' means root. */
  user: string;
  /** The working directory, '/' when none is set. */
  cwd: string;
  probe: RunConfig;
  config: RunConfig;
  createdBy: string;
}

/**
 * WORKDIR: create `path` if missing and commit the difference. Docker's classic builder creates
 * the missing directories as root:root, mode 0755, whatever the USER (`user` is given for messages).
 */
export interface WorkdirStep extends StepBase {
  kind: 'workdir';
  path: string;
  user: string;
  probe: RunConfig;
  config: RunConfig;
  createdBy: string;
}

/**
 * COPY or ADD. The executor expands the sources (./copy-sources.ts), hashes them
 * (./copy-hash.ts), then asks for the probe and history line of that hash.
 */
export interface CopyStep extends StepBase {
  kind: 'copy';
  /** ADD: a local tar archive source (tar, gzip, bzip2, xz, detected by content) is extracted. */
  add: boolean;
  /** Sources as written after expansion, relative to the context or the `from` root. */
  sources: string[];
  /** Stage index, or an image reference; undefined: the build context. */
  from?: { stage: number } | { image: string } | undefined;
  /** Absolute and normalised, joined to WORKDIR when written relative. */
  dest: string;
  /** The destination is a directory: written with a trailing `/` (or `.`), or several sources. */
  destIsDir: boolean;
  /** `user[:group]` as written (names or ids), resolved by the executor against the image's passwd/group. */
  chown?: string | undefined;
  /** `--chmod` as a number (BuildKit semantics: the mode of every copied file and directory). */
  chmod?: number | undefined;
  config: RunConfig;
  /** The probe config once the sources' hash is known. */
  probeFor(sourceHash: string): RunConfig;
  /** The history line once the sources' hash is known. */
  createdByFor(sourceHash: string): string;
}

/** One step of a stage. */
export type BuildStep = MetaStep | RunStep | WorkdirStep | CopyStep;
