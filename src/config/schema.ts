/**
 * devenv.yml version 1 (README.md, "devenv.yml") as one zod schema: the single source of truth for the
 * config type, the validation and the generated `devenv.schema.json`. Every field is described.
 */
import { z } from 'zod';
import { BaseSchema, BuildSchema, PackageManagerSchema, StageSchema, StepSchema } from './schema-build.js';
import { envMap, text } from './schema-helpers.js';
import {
  CommandSchema,
  ContainerSchema,
  DevicesSchema,
  HooksSchema,
  MountSchema,
  PortSchema,
  ProxyObjectSchema,
  UserSchema,
} from './schema-run.js';
import { checkContainerPath, checkName, checkPackage } from './values.js';

export { BaseSchema, PackageManagerSchema, StepSchema } from './schema-build.js';
export { MountSchema } from './schema-run.js';

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
    env: envMap('Environment variables of the container')
      .default({})
      .describe(
        "Environment variables of the container: NAME → value. A run setting: editing it recreates the container and keeps its files. $NAME or ${NAME} refers to the image's own variable (PATH: /opt/bin:$PATH); $$ is a literal $. Variables the build steps need go in build.args.",
      ),
    user: UserSchema.default('root'),
    workdir: text(checkContainerPath)
      .optional()
      .describe('Working directory of the session. Default: the target of the project mount, else /.'),
    shell: text(checkContainerPath)
      .optional()
      .describe(
        'Interactive shell, and the default command. Default: bash where the built image has it, else /bin/sh.',
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
export type PackageManager = z.output<typeof PackageManagerSchema>;
export type EnvValue = string | number | boolean;
