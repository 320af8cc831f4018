/** The run half of devenv.yml: the user, mounts, devices, ports, proxy, container options and hooks. */
import { z } from 'zod';
import { parseMountString } from './mount-string.js';
import type { NormalizedMount } from './mount-string.js';
import { checkPort, PORT_PATTERN } from './port-string.js';
import { text } from './schema-helpers.js';
import { checkContainerPath, checkHostPath, checkName, checkNoNul, checkOneLine } from './values.js';

export const UserSchema = z
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

export const DevicesSchema = z
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

export const PortSchema = z
  .union([z.number(), z.string()])
  .superRefine((value, ctx) => {
    const problem = checkPort(value);
    if (problem !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: problem.message,
        params: { devenv: 'bad-port', hint: problem.hint },
      });
  })
  // The JSON schema cannot run checkPort; give editors the shape of a valid value instead.
  .meta({
    anyOf: [
      { type: 'integer', minimum: 1, maximum: 65535 },
      { type: 'string', pattern: PORT_PATTERN },
    ],
  })
  .describe(
    'A published port: [IP:]HOST:CONTAINER[/tcp|udp|sctp], or a container port; ports are 1 to 65535.',
  );

export const ProxyObjectSchema = z
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

export const ContainerSchema = z
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

export const HooksSchema = z
  .strictObject({
    create: z
      .array(text(checkNoNul))
      .default([])
      .describe('Commands run once, after the container is first created.'),
    start: z.array(text(checkNoNul)).default([]).describe('Commands run every time the container starts.'),
  })
  .describe('Lifecycle hooks, run inside the container by the environment shell.');

export const CommandSchema = z.union([text(checkNoNul), z.array(text(checkNoNul)).min(1)]);
