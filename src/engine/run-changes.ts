/**
 * What changed between the run settings a container was created with and the ones devenv.yml asks
 * for now, in words for the line `up` prints before it recreates ("mounts (+ /data), env (FOO)").
 * Pure. Values of variables are never printed: they may be tokens.
 */
import type { RunSettings } from '../plan/types.js';

/** Container label holding the run settings (JSON) the container was created with. */
export const RUN_SETTINGS_LABEL = 'dev.devenv.run-settings';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function listChanges<T>(before: readonly T[], after: readonly T[], key: (item: T) => string): string[] {
  const old = new Map(before.map((item) => [key(item), item]));
  const now = new Map(after.map((item) => [key(item), item]));
  const out: string[] = [];
  for (const [k, item] of now) {
    const was = old.get(k);
    if (was === undefined) out.push(`+ ${k}`);
    else if (!same(was, item)) out.push(`~ ${k}`);
  }
  for (const k of old.keys()) if (!now.has(k)) out.push(`- ${k}`);
  return out;
}

function mapChanges(before: object, after: object): string[] {
  const was = before as Record<string, unknown>;
  const now = after as Record<string, unknown>;
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.flatMap((name) => {
    // A key whose value is undefined is absent: JSON (the label) drops it.
    if (was[name] === undefined) return now[name] === undefined ? [] : [`+ ${name}`];
    if (now[name] === undefined) return [`- ${name}`];
    return same(was[name], now[name]) ? [] : [name];
  });
}

function scalar(value: string | boolean | undefined): string {
  return value === undefined ? '(none)' : String(value);
}

/** Parses the label written at create time; undefined when absent or unreadable (an older container). */
export function readRunSettings(labels: Readonly<Record<string, string>>): Partial<RunSettings> | undefined {
  const text = labels[RUN_SETTINGS_LABEL];
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** One phrase per changed setting, e.g. `mounts (+ /data)`, `env (FOO)`, `workdir (/src → /work)`. */
export function describeRunChanges(before: Partial<RunSettings>, after: RunSettings): string[] {
  const out: string[] = [];
  const add = (what: string, details: string[]) => {
    if (details.length > 0) out.push(`${what} (${details.join(', ')})`);
  };
  add(
    'mounts',
    listChanges(before.mounts ?? [], after.mounts, (m) => m.target),
  );
  add('env', mapChanges(before.env ?? {}, after.env));
  add(
    'ports',
    listChanges(before.ports ?? [], after.ports, (p) => p),
  );
  add(
    'dns',
    listChanges(before.dns ?? [], after.dns, (d) => d),
  );
  add('devices', mapChanges(before.devices ?? {}, after.devices));
  const scalars = [
    'hostname',
    'user',
    'workdir',
    'network',
    'stopSignal',
    'init',
    'privileged',
    'persist',
  ] as const;
  for (const key of scalars) {
    if (!same(before[key], after[key])) out.push(`${key} (${scalar(before[key])} → ${scalar(after[key])})`);
  }
  return out;
}
