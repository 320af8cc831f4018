/**
 * A problem found in a devenv.yml or settings file, with the place it was found.
 * Validators return these; only the command boundary turns errors into a thrown {@link ConfigError}.
 */
import { DevenvError } from '../errors.js';

export type Severity = 'error' | 'warning';

/** One problem, located at `file:line:col` (1-based) when the source is known. */
export interface Diagnostic {
  severity: Severity;
  /** Short stable code, such as `unknown-key` or `unsafe-value`. */
  code: string;
  message: string;
  /** The path of the field inside the document, such as `["mounts", 0]`. */
  path: readonly (string | number)[];
  file?: string | undefined;
  line?: number | undefined;
  col?: number | undefined;
  /** How to fix it. */
  hint?: string | undefined;
  /** How many more identical problems this one stands for (see {@link sortDiagnostics}). */
  repeats?: number | undefined;
}

/** Renders a field path as `mounts[0].target`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** `file:line:col` (or as much of it as is known). */
export function formatLocation(d: Pick<Diagnostic, 'file' | 'line' | 'col'>): string {
  if (d.file === undefined) return '';
  if (d.line === undefined) return d.file;
  return `${d.file}:${d.line}:${d.col ?? 1}`;
}

/** One line per diagnostic plus an indented hint line, as printed by `validate`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d);
  const field = d.path.length > 0 ? `${formatPath(d.path)}: ` : '';
  const more = d.repeats === undefined ? '' : ` (…and ${d.repeats} more like it)`;
  const head = `${where === '' ? '' : `${where}: `}${d.severity}: ${field}${d.message}${more}`;
  return d.hint === undefined ? head : `${head}\n  hint: ${d.hint}`;
}

/** Thrown at the command boundary when a file has errors; carries every diagnostic, warnings included. */
export class ConfigError extends DevenvError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], what = 'devenv.yml') {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const summary =
      errors.length === 1 && first !== undefined
        ? formatDiagnostic(first)
        : `${errors.length} problems in ${what}:\n${errors.map(formatDiagnostic).join('\n')}`;
    super('DEVENV_CONFIG_INVALID', summary);
    this.name = 'ConfigError';
    this.diagnostics = diagnostics;
  }
}

/**
 * Diagnostics in the order of the file (line, then column), so a reader can walk down it; those
 * without a position keep their order and come last. A message repeated word for word (70 aliases
 * in an alias bomb) is shown once, at its first place, counting the others in `repeats`.
 */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => [d.line ?? Number.POSITIVE_INFINITY, d.col ?? 0] as const;
  const sorted = diagnostics
    .map((d, index) => ({ d, index }))
    .sort((a, b) => {
      const [la, ca] = key(a.d);
      const [lb, cb] = key(b.d);
      return la - lb || ca - cb || a.index - b.index;
    })
    .map(({ d }) => d);
  const first = new Map<string, Diagnostic>();
  const out: Diagnostic[] = [];
  for (const d of sorted) {
    const same = JSON.stringify([d.severity, d.code, formatPath(d.path), d.message, d.hint, d.file]);
    const seen = first.get(same);
    if (seen === undefined) {
      const kept = { ...d };
      first.set(same, kept);
      out.push(kept);
    } else seen.repeats = (seen.repeats ?? 0) + 1 + (d.repeats ?? 0);
  }
  return out;
}

/** True when any diagnostic is an error (warnings alone do not stop a command). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
