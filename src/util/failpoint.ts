/**
 * Named failpoints for crash and fault tests (docs/reliability.md#fault-injection). Configured once from
 * `DEVENV_FAILPOINTS` by cli.ts, e.g. `pull.blob.after-fsync:kill,store.tag.write:throw=ENOSPC,x:sleep=500`.
 * An action ending in `@N` fires only at the Nth time the point is reached (`store.blob.after-fsync:kill@2`:
 * the second blob of a pull, the first being its config). Without configuration every failpoint is a
 * no-op costing one map lookup.
 */

type Action = ({ kind: 'kill' } | { kind: 'throw'; code: string } | { kind: 'sleep'; ms: number }) & {
  /** Fire only at this hit (1-based); every hit when undefined. */
  at?: number | undefined;
};

const actions = new Map<string, Action>();
const hits = new Map<string, number>();
const known = new Set<string>();

/** Parses and installs a failpoint specification; returns the names it mentions. */
export function configureFailpoints(spec: string | undefined): string[] {
  actions.clear();
  hits.clear();
  if (spec === undefined || spec.trim() === '') return [];
  for (const item of spec.split(/[,|]/)) {
    const [name = '', written = ''] = item.trim().split(':', 2);
    if (name === '') continue;
    const [action = '', nth] = written.split('@', 2);
    const at = nth === undefined ? undefined : Number(nth) || undefined;
    if (action === 'kill') actions.set(name, { kind: 'kill', at });
    else if (action.startsWith('throw='))
      actions.set(name, { kind: 'throw', code: action.slice('throw='.length) || 'EIO', at });
    else if (action.startsWith('sleep='))
      actions.set(name, { kind: 'sleep', ms: Number(action.slice('sleep='.length)) || 0, at });
  }
  return [...actions.keys()];
}

/** Declares failpoint names so `devenv __failpoints` can list them. */
export function declareFailpoints(...names: string[]): void {
  for (const name of names) known.add(name);
}

/** Every declared failpoint, sorted. */
export function listFailpoints(): string[] {
  return [...known].sort();
}

/**
 * Marks a step. When a test configured this name: `kill` ends the process with SIGKILL on the spot,
 * `throw` raises an errno-style error (ENOSPC, EIO…), `sleep` pauses.
 */
export async function failpoint(name: string): Promise<void> {
  known.add(name);
  const action = actions.get(name);
  if (action === undefined) return;
  const hit = (hits.get(name) ?? 0) + 1;
  hits.set(name, hit);
  if (action.at !== undefined && action.at !== hit) return;
  if (action.kind === 'kill') {
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  } else if (action.kind === 'throw') {
    throw Object.assign(new Error(`${action.code}: injected at failpoint ${name}`), { code: action.code });
  } else {
    await new Promise((resolve) => setTimeout(resolve, action.ms));
  }
}
