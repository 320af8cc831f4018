/** The build half of devenv.yml: the base, packages, steps, stages and build options. */
import { z } from 'zod';
import { envMap, text } from './schema-helpers.js';
import {
  checkContainerPath,
  checkContextPath,
  checkImageReference,
  checkName,
  checkNoNul,
  checkPackage,
} from './values.js';

const PACKAGE_MANAGERS = ['apt', 'apk', 'dnf', 'yum', 'microdnf', 'pacman', 'zypper'] as const;

/** Package managers devenv knows how to drive; each has a fragment in `templates/packages/`. */
export const PackageManagerSchema = z
  .enum(PACKAGE_MANAGERS)
  .describe(
    "Package manager of the base image. When omitted, told from the base's name (mirrors included), else found in the base at build time.",
  );

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
      .describe(
        'Distribution and suite to bootstrap, such as debian:bookworm or ubuntu:jammy (a minbase system: essential packages and apt).',
      ),
    mirror: z
      .url({ protocol: /^https?$/, error: 'mirror must be an http:// or https:// URL' })
      .optional()
      .describe(
        "Package mirror to bootstrap from; default: the Debian (or Ubuntu) archive this host's apt sources name, else deb.debian.org for Debian.",
      ),
  })
  .describe(
    'Bootstrap a Debian or Ubuntu root filesystem with mmdebstrap (or debootstrap when mmdebstrap is not installed), no registry needed; made once and reused until build --pull.',
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

/** An extra build stage. */
export const StageSchema = z
  .strictObject({
    base: BaseSchema,
    packages: z.array(text(checkPackage)).optional().describe('Packages to install in this stage.'),
    packageManager: PackageManagerSchema.optional(),
    steps: z.array(StepSchema).optional().describe('Build steps of this stage, in order.'),
    env: envMap('Environment of this stage').optional(),
    workdir: text(checkContainerPath).optional().describe('Working directory for the steps of this stage.'),
  })
  .describe('An extra build stage; copy its results into the environment with copy.from.');

/** Build options. */
export const BuildSchema = z
  .strictObject({
    args: envMap(
      'Build arguments: variables of every build step (visible in the image history; not for secrets)',
    ).optional(),
    squash: z.boolean().default(false).describe('Squash the layers devenv adds into one.'),
  })
  .describe('Build options.');
