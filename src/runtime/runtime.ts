/**
 * The one interface both runtimes implement (docs/architecture.md#runtime-interface). The engine programs against it and
 * never asks which runtime it has; everything specific to one runtime stays behind these methods.
 */
import type { Readable, Writable } from 'node:stream';
import type { ImagePlan, RunSpec } from '../plan/types.js';
import type { EventSink } from './events.js';

export type RuntimeName = 'docker' | 'podman' | 'embedded';

/** An image as `images` lists it. */
export interface ImageSummary {
  /** `sha256:<hex>` of the image config. */
  id: string;
  /** `name:tag` references pointing at it (familiar form, such as `ubuntu:xenial`). */
  tags: string[];
  /** Creation time as ISO 8601, when known. */
  created?: string | undefined;
  /** Bytes on disk (uncompressed). */
  size?: number | undefined;
  labels: Record<string, string>;
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  /** Registry digests (`repo@sha256:…`) it was pulled from or pushed to. */
  repoDigests?: string[] | undefined;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

/** A container as `ls` and `status` show it. */
export interface ContainerSummary {
  id: string;
  name: string;
  /** Image reference the container was created from. */
  image: string;
  /** `sha256:` id of that image. */
  imageId: string;
  state: ContainerState;
  exitCode?: number | undefined;
  created?: string | undefined;
  startedAt?: string | undefined;
  labels: Record<string, string>;
  mounts: { type: string; source: string; target: string; name?: string | undefined }[];
  /** Ports published right now, `[IP:]HOST->CONTAINER/proto`; empty while it is not running. */
  ports: string[];
  /** Ports the container was created to publish, in the same form (published or not). */
  requestedPorts?: string[] | undefined;
  /** Its network mode (`host`, `none`, `bridge`, …) and whether it is attached to that network. */
  network?: { mode: string; connected: boolean } | undefined;
}

/** A named volume. */
export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
}

/** What `build` needs: the image half of the plan, the project folder and a context digest. */
export interface BuildRequest {
  image: ImagePlan;
  /** Folder the context paths and prerequisites are relative to. */
  projectDir: string;
  /** Extra labels (such as the digest of the context files). */
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  squash: boolean;
  /** The caller's environment; proxy values reach the build through it, not through argv. */
  env: Readonly<Record<string, string | undefined>>;
}

/** The streams of an interactive process. */
export interface Stdio {
  /** Read it only when a stream is wanted: the CLI's is made on first read (see `stdinFd`). */
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /**
   * 0 when `stdin` is this process's own standard input (the CLI's): a child can be given the
   * descriptor itself, and Node never makes a stream of it, which for a file (`</dev/null`) loads
   * its fs streams (~3 ms of a warm `exec`) and for a pipe sets it non-blocking under the child.
   */
  stdinFd?: number | undefined;
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
}

/** Options of `exec`. */
export interface RunOptions {
  tty: boolean;
  interactive: boolean;
  user?: string | undefined;
  workdir?: string | undefined;
  /** Environment for this process only; never recorded in the container config. */
  env?: Readonly<Record<string, string>> | undefined;
}

/** How an attach ended: the main process exited (with its status), or the user detached. */
export type AttachResult = { kind: 'exited'; status: number } | { kind: 'detached' };

/** Options of `commit`. */
export interface CommitOptions {
  /** Tag of the new image; without one the image is unnamed, known only by the id returned. */
  tag?: string | undefined;
  /** ENTRYPOINT and CMD the committed image must have (the container may run a wrapper). */
  entrypoint: string[] | null;
  cmd: string[] | null;
  /** Names of variables to leave out of the committed config. */
  dropEnv: readonly string[];
}

/** Receives the name of an environment whose container changed, or `undefined` for "maybe all". */
export type ContainerChangeSink = (name: string | undefined) => void;

/** Options of {@link Runtime.listImages}. */
export interface ListImagesOptions {
  /**
   * Also the intermediate images: untagged images that another image was built on (a build's
   * steps), which `docker images` hides without `--all`.
   */
  all?: boolean | undefined;
}

/** A container runtime. Methods throw DevenvError for failures the user can act on. */
export interface Runtime {
  readonly name: RuntimeName;

  buildImage(request: BuildRequest, onEvent: EventSink): Promise<ImageSummary>;
  inspectImage(ref: string): Promise<ImageSummary | undefined>;
  listImages(options?: ListImagesOptions): Promise<ImageSummary[]>;
  pullImage(ref: string, onEvent: EventSink): Promise<ImageSummary>;
  pushImage(ref: string, onEvent: EventSink): Promise<void>;
  tagImage(source: string, target: string): Promise<void>;
  /** Removes a reference (and the image when nothing else uses it); returns what was removed. */
  removeImage(ref: string, options: { force: boolean }): Promise<string[]>;
  pruneImages(): Promise<{ removed: string[]; reclaimedBytes: number }>;
  /**
   * Where `command -v PROGRAM` finds a program in the image, asked in a throwaway container without
   * network; `undefined` when the image has no such program, or no /bin/sh to ask with.
   */
  findProgram(image: string, program: string): Promise<string | undefined>;
  /** Stores registry credentials; the password arrives here, never in argv. */
  login(registry: string, username: string, password: string): Promise<void>;
  /** Writes a `docker save` archive of the references to `output`. */
  saveImages(refs: readonly string[], output: Writable, onEvent: EventSink): Promise<void>;
  /**
   * The same archive written into `file` (created or truncated; the caller fsyncs and renames it),
   * for a runtime that copies faster into a file it owns than through a stream. Optional: without
   * it, callers stream into the file with {@link saveImages}.
   */
  saveImagesToFile?(refs: readonly string[], file: string, onEvent: EventSink): Promise<void>;
  /** Reads a `docker save` archive or OCI layout tar; returns the references (or ids) loaded. */
  loadImages(input: Readable, onEvent: EventSink): Promise<string[]>;
  /**
   * {@link loadImages} of an archive file, for a runtime that reads a file it can seek in faster than
   * a stream. Optional: without it, callers stream the file into {@link loadImages}.
   */
  loadImagesFromFile?(file: string, onEvent: EventSink): Promise<string[]>;

  /**
   * True when files on this machine can be bind-mounted (the engine runs here). A remote engine
   * (DOCKER_HOST=tcp://…, ssh://…, or a context that points elsewhere) cannot see them.
   */
  seesHostFiles(): Promise<boolean>;
  /** Creates the container; `secretEnvFile` is the host file holding the proxy variables. */
  createContainer(spec: RunSpec, secretEnvFile: string | undefined): Promise<ContainerSummary>;
  /**
   * Optional: replaces container `name` with one made from `spec` (on the image the old one used),
   * taking over its writable layer as it is, with no commit. Runtimes whose containers' files are a
   * plain folder implement it; the engine commits and recreates on the others.
   */
  recreateKeepingFiles?(
    name: string,
    spec: RunSpec,
    secretEnvFile: string | undefined,
  ): Promise<ContainerSummary>;
  startContainer(name: string): Promise<void>;
  stopContainer(name: string, timeoutSeconds?: number): Promise<void>;
  removeContainer(name: string, options: { force: boolean }): Promise<void>;
  inspectContainer(name: string): Promise<ContainerSummary | undefined>;
  /** Containers devenv made (labelled `dev.devenv.name`). */
  listContainers(): Promise<ContainerSummary[]>;
  /**
   * Optional: reports changes to devenv's containers as they happen, made by this process or any
   * other, until `signal` aborts (then it resolves). `onChange` gets the environment's name
   * (`dev.devenv.name`), or `undefined` when anything of this runtime may have changed (after a lost
   * connection, say). Never throws: a broken source reconnects and asks for a full refresh. Callers
   * without it poll {@link listContainers}.
   */
  watchChanges?(signal: AbortSignal, onChange: ContainerChangeSink): Promise<void>;
  /** Joins the main session; detaches on ctrl-p ctrl-q. */
  attach(name: string, stdio: Stdio): Promise<AttachResult>;
  /** Runs a command in the running container; resolves with its exit status. */
  exec(name: string, command: readonly string[], options: RunOptions, stdio: Stdio): Promise<number>;
  /** Runs `command` in a new container made from `spec` that is removed when it exits. */
  runOnce(spec: RunSpec, command: readonly string[], options: RunOptions, stdio: Stdio): Promise<number>;
  logs(
    name: string,
    options: { follow: boolean; tail?: number | undefined },
    output: Writable,
  ): Promise<void>;
  /** Saves the container's writable layer as a new image. */
  commit(name: string, options: CommitOptions): Promise<ImageSummary>;

  listVolumes(): Promise<VolumeSummary[]>;
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** Writes a tar of the volume's contents to `output`. */
  exportVolume(name: string, output: Writable): Promise<void>;
  /** Copies the tar read from `input` into the volume (meant for a new, empty volume). */
  importVolume(name: string, input: Readable): Promise<void>;
}
