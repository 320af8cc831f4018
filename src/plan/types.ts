/**
 * What compilePlan produces: everything needed to build the image and to run the container, as data.
 * Runtimes consume these types; nothing here touches the machine.
 */
import type { PackageManager } from '../config/schema.js';
import type { Settings } from '../config/settings.js';

/** A user in the image, resolved to numbers. */
export interface ImageUser {
  name: string;
  uid: number;
  gid: number;
}

/** Install fragments from `templates/`: one shell command per entry, joined with && in one RUN. */
export interface Fragments {
  packages: Readonly<Record<PackageManager, readonly string[]>>;
  createUser: readonly string[];
}

/** Inputs of compilePlan besides the config: facts about the caller's machine, passed in. */
export interface PlanContext {
  /** Folder of devenv.yml. */
  projectDir: string;
  /** Path of devenv.yml. */
  configFile: string;
  homeDir: string;
  /** The caller, for `user: host`. */
  hostUser: ImageUser;
  /** The caller's environment, for `proxy: inherit` and `DISPLAY`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Per-environment state folder on the host (xauth cookie, secret env file). */
  stateDir: string;
  fragments: Fragments;
  settings?: Pick<Settings, 'proxy' | 'dns'> | undefined;
}

/** An image that must exist before the generated Dockerfile can build, made from a non-registry base. */
export type BasePrerequisite =
  | {
      kind: 'dockerfile';
      tag: string;
      dockerfile: string;
      context: string;
      target?: string | undefined;
      args: Record<string, string>;
    }
  | { kind: 'tarball'; tag: string; tarball: string }
  | {
      kind: 'bootstrap';
      tag: string;
      suite: string;
      distribution: 'debian' | 'ubuntu';
      mirror?: string | undefined;
    };

/** The image half of a plan. */
export interface ImagePlan {
  /** Tag of the built image, `devenv/<name>:latest`. */
  tag: string;
  /** The generated Dockerfile. */
  dockerfile: string;
  /**
   * The image the final stage starts FROM (a registry reference, a prerequisite's tag, or
   * `scratch`): its layers are the ones a squash keeps. Derived from the Dockerfile, so not digested.
   */
  base: string;
  /** Images to make first (their tags appear in FROM lines). */
  prerequisites: BasePrerequisite[];
  /** Project-relative paths that COPY reads; the build context needs exactly these. */
  contextPaths: string[];
  /** User build arguments (`build.args`); visible in history, never secret. */
  buildArgs: Record<string, string>;
  /** Predefined proxy build arguments; Docker keeps them out of the image. Secret: never in a digest. */
  proxyArgs: Record<string, string>;
  squash: boolean;
  /** Labels for the image (`dev.devenv.*`). */
  labels: Record<string, string>;
}

/** A mount as the runtime applies it: host paths absolute, volume names namespaced. */
export type RunMount =
  | { type: 'bind'; source: string; target: string; readonly: boolean; create?: boolean | undefined }
  | { type: 'volume'; name: string; target: string; readonly: boolean };

/** X11 sharing: the display, its socket folder and a per-environment cookie file. */
export interface X11Spec {
  display: string;
  socketDir: string;
  /** Host path of the cookie file devenv writes for this environment. */
  cookieFile: string;
  /** Where the cookie file appears in the container (XAUTHORITY). */
  cookieTarget: string;
}

/** How to run the environment's container; runtime-neutral. */
export interface RunSpec {
  name: string;
  image: string;
  hostname: string;
  /** `uid:gid` or undefined for the image's user. */
  user?: string | undefined;
  workdir?: string | undefined;
  /**
   * Runtime environment that may be recorded in the container config. Values may still hold `$NAME`
   * references to the image's variables: resolve them with `resolveEnvRefs` before creating.
   */
  env: Record<string, string>;
  /** Proxy variables: reach every process, never written into a container or image config. */
  secretEnv: Record<string, string>;
  mounts: RunMount[];
  devices: { usb: boolean; gpu: boolean; paths: string[]; x11?: X11Spec | undefined };
  network: 'host' | 'private' | 'none';
  ports: string[];
  dns: string[];
  init: boolean;
  privileged: boolean;
  persist: boolean;
  /** The interactive shell, for `shell` and hooks. */
  shell: string;
  /**
   * True when `shell` is only a fallback: devenv.yml names no shell and the base's name does not
   * tell, so the engine looks for bash in the built image.
   */
  shellFromImage?: boolean | undefined;
  /** Signal that stops the main process: SIGHUP for an interactive shell, which ignores SIGTERM. */
  stopSignal?: string | undefined;
  hooks: { create: string[]; start: string[] };
  labels: Record<string, string>;
}

/** The part of a RunSpec that is fixed when the container is created (what a recreate changes). */
export type RunSettings = Pick<
  RunSpec,
  | 'hostname'
  | 'user'
  | 'workdir'
  | 'env'
  | 'mounts'
  | 'devices'
  | 'network'
  | 'ports'
  | 'dns'
  | 'init'
  | 'privileged'
  | 'stopSignal'
  | 'persist'
>;

/** The whole plan. */
export interface Plan {
  name: string;
  image: ImagePlan;
  run: RunSpec;
  /** `sha256:…` of the image inputs (Dockerfile, args, prerequisites) and of the run settings. */
  digests: { image: string; run: string };
}
