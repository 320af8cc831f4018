/**
 * User-wide settings, `~/.config/devenv/config.yml` (the seed's daemon.json): default runtime, storage
 * location, registry mirrors, insecure registries, proxy and DNS. Validated like devenv.yml.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, hasErrors } from './diagnostic.js';
import type { Diagnostic } from './diagnostic.js';
import { readConfigText } from './load.js';
import { parseYaml } from './parse-yaml.js';
import { checkOneLine } from './values.js';
import { issuesToDiagnostics } from './zod-diagnostics.js';

const hostPort = z.string().regex(/^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/, {
  error: 'a registry is host[:port], such as localhost:5000',
});
const mirrorUrl = z.url({ protocol: /^https?$/, error: 'a mirror is an http:// or https:// URL' });

/** The settings file. */
export const SettingsSchema = z
  .strictObject({
    $schema: z.string().optional(),
    runtime: z
      .enum(['auto', 'embedded', 'docker', 'podman'])
      .default('auto')
      .describe(
        'Runtime of new environments when devenv.yml says auto (an existing environment stays on the runtime it lives on).',
      ),
    storage: z
      .string()
      .refine((p) => p.startsWith('/') && checkOneLine(p) === undefined, {
        error: 'storage must be an absolute path',
      })
      .optional()
      .describe(
        'Where the embedded runtime keeps images and containers. Change it with "devenv storage move DIR".',
      ),
    registryMirrors: z
      .union([z.array(mirrorUrl), z.record(hostPort, z.array(mirrorUrl))])
      .default({})
      .describe('Mirrors tried before a registry: a list (for docker.io) or registry → list of URLs.'),
    insecureRegistries: z
      .array(hostPort)
      .default([])
      .describe('Registries reached over plain HTTP or with unverified TLS. Loopback needs no entry.'),
    proxy: z
      .union([
        z.literal('inherit'),
        z.literal('none'),
        z.strictObject({
          http: z.string().optional(),
          https: z.string().optional(),
          ftp: z.string().optional(),
          all: z.string().optional(),
          noProxy: z.union([z.string(), z.array(z.string())]).optional(),
        }),
      ])
      .default('inherit')
      .describe('Proxy for registry traffic and for environments whose devenv.yml says inherit.'),
    dns: z
      .array(z.union([z.ipv4(), z.ipv6()]))
      .default([])
      .describe('DNS servers for environments that set none.'),
    watch: z
      .strictObject({
        auto: z
          .boolean()
          .default(false)
          .describe(
            'Apply a change at once (rebuild and recreate, or recreate keeping files) instead of asking; never while you are attached.',
          ),
      })
      .default({ auto: false })
      .describe(
        'devenv watch, devenv up --watch and the TUI: what to do when devenv.yml or a file the image copies changes.',
      ),
  })
  .describe('devenv user settings.');

export type Settings = z.output<typeof SettingsSchema>;

export { settingsPath } from './settings-path.js';

/** Validates settings text; returns the settings or every problem. */
export function validateSettingsText(
  text: string,
  file: string,
): { settings?: Settings; diagnostics: Diagnostic[] } {
  const parsed = parseYaml(text, file);
  if (hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const input = parsed.value ?? {};
  const result = SettingsSchema.safeParse(input);
  if (!result.success)
    return {
      diagnostics: issuesToDiagnostics(result.error.issues, SettingsSchema, file, parsed.locate, input),
    };
  return { settings: result.data, diagnostics: [] };
}

/** Loads the settings file, or the defaults when it does not exist; throws {@link ConfigError} when it is invalid. */
export async function loadSettings(file: string): Promise<Settings> {
  if (!existsSync(file)) return SettingsSchema.parse({});
  const { settings, diagnostics } = validateSettingsText(await readConfigText(file), file);
  if (settings === undefined) throw new ConfigError(diagnostics, file);
  return settings;
}
