/**
 * From the text of a devenv.yml to a validated config: parse with positions, check the schema, run the
 * rules. Returns every diagnostic at once; throws nothing for bad input.
 */
import path from '../util/node-path.js';
import type { Diagnostic } from './diagnostic.js';
import { hasErrors, sortDiagnostics } from './diagnostic.js';
import { parseYaml } from './parse-yaml.js';
import { checkRules } from './rules.js';
import { DevenvConfigSchema } from './schema.js';
import type { DevenvConfig } from './schema.js';
import { checkName } from './values.js';
import { issuesToDiagnostics } from './zod-diagnostics.js';

/** A config whose name is known (taken from the folder when devenv.yml has none). */
export type ResolvedConfig = DevenvConfig & { name: string };

/** Where the text came from, for positions and relative paths. */
export interface SourceInfo {
  /** Path of the file, as shown in diagnostics. */
  file: string;
  /** Folder that relative paths are resolved against. */
  projectDir: string;
  homeDir: string;
  /** Path of the config inside the document (`['devenv']` for package.json). */
  prefix?: readonly (string | number)[];
}

export type ValidationResult =
  { ok: true; config: ResolvedConfig; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Validates the text of a devenv.yml. Warnings come back with a valid config; errors mean no config.
 * Diagnostics come in the order of the file.
 */
export function validateConfigText(text: string, source: SourceInfo): ValidationResult {
  const result = validateUnsorted(text, source);
  return { ...result, diagnostics: sortDiagnostics(result.diagnostics) };
}

function validateUnsorted(text: string, source: SourceInfo): ValidationResult {
  const parsed = parseYaml(text, source.file, source.prefix);
  if (hasErrors(parsed.diagnostics)) return { ok: false, diagnostics: parsed.diagnostics };
  const input = parsed.value ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    const pos = parsed.locate([]);
    return {
      ok: false,
      diagnostics: [
        {
          severity: 'error',
          code: 'not-a-map',
          message: 'devenv.yml must be a map of settings (key: value)',
          path: [],
          file: source.file,
          line: pos?.line,
          col: pos?.col,
          hint: 'start with: base: ubuntu:24.04',
        },
      ],
    };
  }
  const result = DevenvConfigSchema.safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      diagnostics: issuesToDiagnostics(
        result.error.issues,
        DevenvConfigSchema,
        source.file,
        parsed.locate,
        input,
      ),
    };
  }
  const diagnostics = checkRules(result.data, {
    file: source.file,
    projectDir: source.projectDir,
    homeDir: source.homeDir,
    locate: parsed.locate,
    sourceAt: parsed.sourceAt,
  });
  const name = result.data.name ?? nameFromFolder(source.projectDir);
  if (name === undefined) {
    diagnostics.push({
      severity: 'error',
      code: 'no-name',
      message: `the folder name "${path.basename(source.projectDir)}" cannot be used as an environment name`,
      path: [],
      file: source.file,
      hint: 'add name: my-env to devenv.yml',
    });
  }
  if (hasErrors(diagnostics) || name === undefined) return { ok: false, diagnostics };
  return { ok: true, config: { ...result.data, name }, diagnostics };
}

/** Derives an environment name from a folder name (`My Project` → `My-Project`), if one can be made. */
export function nameFromFolder(dir: string): string | undefined {
  const candidate = path
    .basename(dir)
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 64);
  return candidate !== '' && checkName(candidate) === undefined ? candidate : undefined;
}
