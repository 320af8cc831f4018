/**
 * devenv.yml version 1 (DESIGN.md section 3) as one zod schema: the single source of truth for the
 * config type, the validation and the generated `devenv.schema.json`. Every field is described.
 */
import { z } from 'zod';
import { parseMountString } from './mount-string.js';
import type { NormalizedMount } from './mount-string.js';
import {
  checkContainerPath,
  checkContextPath,
  checkHostPath,
  checkImageReference,
  checkName,
  checkNoNul,
  checkOneLine,
  checkPackage,
  ENV_KEY,
} from './values.js';

type Check = (value: string) => string | undefined;

/** A string that must pass `check`; the failure sentence becomes the diagnostic. */
function text(check: Check) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', message: problem, params: { devenv: 'unsafe-value' } });
  });
}

/** A map whose keys are environment-variable names; values may be strings, numbers or booleans. */
function envMap(what: string) {
  return z
    .record(
      z.string().regex(ENV_KEY, {
        error: `${what} names must match ${ENV_KEY.source} (letters, digits, "_"; not starting with a digit)`,
      }),
      z.union([text(checkOneLine), z.number(), z.boolean()]),
    )
    .describe(
      `${what}: NAME → value. Numbers and booleans are written as text; quote values such as "0755".`,
    );
}

const PACKAGE_MANAGERS = ['apt', 'apk', 'dnf', 'yum', 'pacman', 'zypper'] as const;

/** Package managers devenv knows how to drive; each has a fragment in `templates/packages/`. */
export const PackageManagerSchema = z
  .enum(PACKAGE_MANAGERS)
  .describe('Package manager of the base image. Detected from well-known base images when omitted.');

const ImageRefSchema = text(checkImageReference).describe(
  'An image reference, such as ubuntu:xenial or localhost:5000/team/sdk:1.2.',
);

const DockerfileBaseSchema = z
  .strictObject({
    dockerfile: text(checkContextPath).describe('Path of an existing Dockerfile, relative to devenv.yml.'),
    context: text(checkContextPath)
      .optional()
      .describe(
        'Build context for that Dockerfile, relative to devenv.yml. Default: the folder of the Dockerfile.',
      ),
    target: text((v) => checkName(v))
      .optional()
      .describe('Stage of that Dockerfile to build (docker build --target).'),
    args: envMap('Build arguments for that Dockerfile').optional(),
  })
  .describe('Build the base image from an existing Dockerfile first, then add devenv.yml on top of it.');

const TarballBaseSchema = z
  .strictObject({
    tarball: text(checkContextPath).describe(
      'A docker save archive, an OCI layout or a plain root filesystem tar, relative to devenv.yml.',
    ),
  })
  .describe('Use an image archive or a root filesystem tarball as the base.');

const BootstrapBaseSchema = z
  .strictObject({
    bootstrap: z
      .string()
      .regex(/^(debian|ubuntu):[a-z]+$/, {
        error: 'bootstrap takes debian:SUITE or ubuntu:SUITE, such as debian:bookworm',
      })
      .describe('Distribution and suite to bootstrap with debootstrap, such as debian:bookworm.'),
    mirror: z
      .url({ protocol: /^https?$/, error: 'mirror must be an http:// or https:// URL' })
      .optional()
      .describe('Package mirror for debootstrap.'),
  })
  .describe(
    'Bootstrap a Debian or Ubuntu root filesystem with debootstrap (needs root and debootstrap on the host).',
  );

/** Where the environment starts from. */
export const BaseSchema = z
  .union([ImageRefSchema, DockerfileBaseSchema, TarballBaseSchema, BootstrapBaseSchema])
  .describe('Base image: a registry reference, or {dockerfile}, {tarball} or {bootstrap}.');

const RunStepSchema = z
  .strictObject({
    run: z
      .union([text(checkNoNul), z.array(text(checkNoNul)).min(1)])
      .describe('A shell command (run by /bin/sh -c; may span lines) or an argv list run without a shell.'),
  })
  .describe('Run a command at build time; one cached layer.');

const CopyStepSchema = z
  .strictObject({
    copy: z
      .strictObject({
        src: z
          .string()
          .describe('Source: relative to devenv.yml, or an absolute path inside the stage named by `from`.'),
        dest: text(checkContainerPath).describe('Absolute destination path in the image.'),
        from: text((v) => checkName(v, 64))
          .optional()
          .describe('Copy out of this stage (see `stages`) instead of the project folder.'),
        chown: z
          .string()
          .regex(/^[a-z0-9_][a-z0-9_.-]*(:[a-z0-9_][a-z0-9_.-]*)?$/i, {
            error: 'chown takes USER or USER:GROUP (names or numbers)',
          })
          .optional()
          .describe('Owner of the copied files, USER[:GROUP].'),
      })
      .superRefine((copy, ctx) => {
        // A source in another stage is a path in that image; one from the project must stay inside it.
        const problem = copy.from === undefined ? checkContextPath(copy.src) : checkContainerPath(copy.src);
        if (problem !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['src'],
            message: problem,
            params: { devenv: 'unsafe-value' },
          });
        }
      }),
  })
  .describe('Copy files into the image; one cached layer.');

/** One build step: `{run}` or `{copy}`. */
export const StepSchema = z.union([RunStepSchema, CopyStepSchema]);

const StageSchema = z
  .strictObject({
    base: BaseSchema,
    packages: z.array(text(checkPackage)).optional().describe('Packages to install in this stage.'),
    packageManager: PackageManagerSchema.optional(),
    steps: z.array(StepSchema).optional().describe('Build steps of this stage, in order.'),
    env: envMap('Environment of this stage').optional(),
    workdir: text(checkContainerPath).optional().describe('Working directory for the steps of this stage.'),
  })
  .describe('An extra build stage; copy its results into the environment with copy.from.');

const UserSchema = z
  .union([
    z.literal('root'),
    z.literal('host'),
    z.strictObject({
      name: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
          error: 'user names are lowercase letters, digits, "_" and "-", at most 32',
        })
        .describe('User name.'),
      uid: z.number().int().min(1).max(2147483647).describe('Numeric user id.'),
      gid: z.number().int().min(1).max(2147483647).optional().describe('Numeric group id. Default: the uid.'),
    }),
  ])
  .describe('Who runs in the environment: root, host (your own name, uid and gid) or {name, uid, gid}.');

const MountObjectSchema = z
  .strictObject({
    source: text(checkHostPath).describe('Host path: absolute, ~/…, or relative to devenv.yml.'),
    target: text(checkContainerPath).describe('Absolute path in the container.'),
    readonly: z.boolean().optional().describe('Mount read-only.'),
  })
  .describe('Share a host folder or file.');

const VolumeMountSchema = z
  .strictObject({
    volume: text((v) => checkName(v, 64)).describe(
      'Named volume; it survives rebuilds and rm (unless rm --volumes).',
    ),
    target: text(checkContainerPath).describe('Absolute path in the container.'),
    readonly: z.boolean().optional().describe('Mount read-only.'),
  })
  .describe('A named volume that outlives the container.');

/** Checks both halves of a parsed short mount and reports problems as issues. */
function checkParsedMount(mount: NormalizedMount, ctx: z.RefinementCtx): void {
  const problems = [
    mount.type === 'bind' ? checkHostPath(mount.source) : undefined,
    checkContainerPath(mount.target),
  ];
  for (const problem of problems) {
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', message: problem, params: { devenv: 'unsafe-value' } });
  }
}

const MountStringSchema = z
  .string()
  .transform((value, ctx): NormalizedMount => {
    const parsed = parseMountString(value);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed, params: { devenv: 'bad-mount' } });
      return z.NEVER;
    }
    checkParsedMount(parsed, ctx);
    return parsed;
  })
  .describe('host:container[:ro|rw]; a relative host path is relative to devenv.yml.');

/** `host:container[:ro|rw]`, `{source, target}` or `{volume, target}`; normalised to a tagged mount. */
export const MountSchema = z
  .union(
    [
      MountStringSchema,
      MountObjectSchema.transform((m): NormalizedMount => ({
        type: 'bind',
        source: m.source,
        target: m.target,
        readonly: m.readonly ?? false,
      })),
      VolumeMountSchema.transform((m): NormalizedMount => ({
        type: 'volume',
        volume: m.volume,
        target: m.target,
        readonly: m.readonly ?? false,
      })),
    ],
    { error: 'a mount is "host:container[:ro|rw]", {source, target} or {volume, target}' },
  )
  .describe('A bind mount or named volume.');

const DevicesSchema = z
  .strictObject({
    usb: z
      .boolean()
      .default(false)
      .describe(
        'Share /dev/bus/usb live (hotplug works) through a device cgroup rule, without --privileged.',
      ),
    x11: z
      .boolean()
      .default(false)
      .describe('Share the X server: DISPLAY, the X socket (read-only) and a per-environment xauth cookie.'),
    gpu: z.boolean().default(false).describe('Give the environment all GPUs (docker --gpus all).'),
    paths: z
      .array(text(checkHostPath))
      .default([])
      .describe('Extra device nodes, such as /dev/ttyUSB0. Named in a warning.'),
  })
  .describe('Host devices to share.');

const PortSchema = z
  .union([
    z.number().int().min(1).max(65535),
    z
      .string()
      .regex(
        /^(?:(?:\d{1,3}\.){3}\d{1,3}:|\[[0-9a-fA-F:]+\]:)?(?:\d{1,5}(?:-\d{1,5})?:)?\d{1,5}(?:-\d{1,5})?(?:\/(?:tcp|udp|sctp))?$/,
        {
          error: 'ports take [IP:]HOST:CONTAINER[/tcp|udp], such as "8000:80" or "127.0.0.1:8000:80"',
        },
      ),
  ])
  .describe('A published port: [IP:]HOST:CONTAINER[/proto], or a container port.');

const ProxyObjectSchema = z
  .strictObject({
    http: text(checkOneLine).optional().describe('HTTP_PROXY.'),
    https: text(checkOneLine).optional().describe('HTTPS_PROXY.'),
    ftp: text(checkOneLine).optional().describe('FTP_PROXY.'),
    all: text(checkOneLine).optional().describe('ALL_PROXY.'),
    noProxy: z
      .union([text(checkOneLine), z.array(text(checkOneLine))])
      .optional()
      .describe('NO_PROXY: hosts that bypass the proxy.'),
  })
  .describe('Explicit proxy settings.');

const BuildSchema = z
  .strictObject({
    args: envMap('Build arguments (visible in the image history; not for secrets)').optional(),
    squash: z.boolean().default(false).describe('Squash the layers devenv adds into one.'),
  })
  .describe('Build options.');

const ContainerSchema = z
  .strictObject({
    persist: z
      .boolean()
      .default(true)
      .describe('Keep the container between sessions (false: remove it when the main session ends).'),
    init: z
      .boolean()
      .default(true)
      .describe('Run a tiny init as PID 1 that reaps zombies and forwards signals.'),
    privileged: z
      .boolean()
      .default(false)
      .describe('Give the container every capability and device. Named in a warning.'),
    hostname: z
      .string()
      .regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/, {
        error: 'hostname takes letters, digits and "-", at most 63',
      })
      .optional()
      .describe('Hostname inside the container. Default: derived from the name.'),
  })
  .describe('Container options.');

const HooksSchema = z
  .strictObject({
    create: z
      .array(text(checkNoNul))
      .default([])
      .describe('Commands run once, after the container is first created.'),
    start: z.array(text(checkNoNul)).default([]).describe('Commands run every time the container starts.'),
  })
  .describe('Lifecycle hooks, run inside the container by the environment shell.');

const CommandSchema = z.union([text(checkNoNul), z.array(text(checkNoNul)).min(1)]);

/** The whole devenv.yml. */
export const DevenvConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON schema of this file, for editors.'),
    version: z.literal(1).default(1).describe('Format version of this file.'),
    name: text((v) => checkName(v))
      .optional()
      .describe('Environment (and container) name. Default: the name of the folder.'),
    base: BaseSchema,
    packages: z
      .array(text(checkPackage))
      .default([])
      .describe("Packages to install with the base image's package manager, in one cached layer."),
    packageManager: PackageManagerSchema.optional(),
    stages: z
      .record(
        z.string().superRefine((v, ctx) => {
          const problem = checkName(v, 64);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `stage name ${problem}` });
        }),
        StageSchema,
      )
      .default({})
      .describe('Extra build stages (multi-stage builds): name → {base, packages, steps}.'),
    steps: z
      .array(StepSchema)
      .default([])
      .describe('Extra build steps, in order; each one is a cached layer.'),
    env: envMap('Environment variables of the image').default({}),
    user: UserSchema.default('root'),
    workdir: text(checkContainerPath)
      .optional()
      .describe('Working directory of the session. Default: the target of the project mount, else /.'),
    shell: text(checkContainerPath)
      .optional()
      .describe(
        'Interactive shell, and the default command. Default: /bin/bash where the distribution has it, else /bin/sh.',
      ),
    command: CommandSchema.optional().describe('Main command of the environment (CMD). Default: the shell.'),
    entrypoint: CommandSchema.optional().describe(
      'Entrypoint (ENTRYPOINT); the command becomes its arguments.',
    ),
    mounts: z.array(MountSchema).default([]).describe('Bind mounts and named volumes.'),
    devices: DevicesSchema.default({ usb: false, x11: false, gpu: false, paths: [] }),
    ports: z.array(PortSchema).default([]).describe('Published ports (with network: private).'),
    network: z
      .enum(['host', 'private', 'none'])
      .default('host')
      .describe('host (share the host network), private (own network, ports published) or none.'),
    dns: z
      .array(z.union([z.ipv4(), z.ipv6()]))
      .default([])
      .describe('DNS servers for the container.'),
    proxy: z
      .union([z.literal('inherit'), z.literal('none'), ProxyObjectSchema])
      .default('inherit')
      .describe(
        "inherit (the host's *_PROXY variables), none, or explicit values. Never written into the image.",
      ),
    build: BuildSchema.default({ squash: false }),
    container: ContainerSchema.default({ persist: true, init: true, privileged: false }),
    hooks: HooksSchema.default({ create: [], start: [] }),
    runtime: z
      .enum(['auto', 'embedded', 'docker', 'podman'])
      .default('auto')
      .describe('Runtime: auto picks embedded where it works, else Docker or Podman.'),
  })
  .describe('A devenv environment: base image, packages, steps, mounts, devices and container settings.');

/** devenv.yml as written (before defaults). */
export type DevenvConfigInput = z.input<typeof DevenvConfigSchema>;
/** devenv.yml after validation, with defaults filled in. */
export type DevenvConfig = z.output<typeof DevenvConfigSchema>;
export type Base = z.output<typeof BaseSchema>;
export type Step = z.output<typeof StepSchema>;
export type Stage = z.output<typeof StageSchema>;
export type { NormalizedMount as Mount } from './mount-string.js';
export type PackageManager = z.output<typeof PackageManagerSchema>;
export type EnvValue = string | number | boolean;

/** Top-level keys, for "did you mean" hints. */
export const CONFIG_KEYS: readonly string[] = Object.keys(DevenvConfigSchema.shape);
