/**
 * Build arguments with Docker's scoping (moby builder/dockerfile/buildargs.go): a `--build-arg` is
 * visible in a stage only after an `ARG` declares it there; ARGs before the first FROM are "meta"
 * args, visible in FROM lines and giving the default to a later `ARG NAME` without one; the proxy
 * variables are predefined, usable without ARG and never written into the image.
 */

/** The proxy variables Docker predefines as build args. */
export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

const BUILTIN = new Set(PROXY_ARGS);

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts as Go's `sort.Strings` does (by UTF-16 code unit, which is byte order for these strings). */
export function goSort(values: readonly string[]): string[] {
  return [...values].sort(byteOrder);
}

/** The build args of one stage. */
export class BuildArgs {
  /** ARGs declared in this stage, with their default (undefined: none). */
  private readonly allowed = new Map<string, string | undefined>();
  private readonly referenced = new Set<string>();

  /**
   * @param fromOptions `--build-arg` values, proxy values included.
   * @param meta the values of the ARGs before the first FROM (after `--build-arg`s).
   */
  constructor(
    private readonly fromOptions: Readonly<Record<string, string>>,
    private readonly meta: ReadonlyMap<string, string | undefined>,
  ) {
    for (const name of meta.keys()) this.referenced.add(name);
  }

  /** Declares `ARG name[=value]` in this stage. */
  declare(name: string, value: string | undefined): void {
    this.allowed.set(name, value);
    this.referenced.add(name);
  }

  private value(name: string): string | undefined {
    if (Object.hasOwn(this.fromOptions, name)) return this.fromOptions[name];
    const own = this.allowed.get(name);
    if (own !== undefined) return own;
    return this.meta.get(name);
  }

  /**
   * `KEY=VALUE` for every arg in scope with a value whose name `env` does not set (Docker's
   * `FilterAllowed`): declared ARGs and the proxy values given. Sorted, so the result is stable.
   */
  inScope(env: readonly string[]): string[] {
    const set = new Set(env.map((e) => e.split('=', 1)[0]));
    const result: string[] = [];
    for (const name of new Set([...this.allowed.keys(), ...PROXY_ARGS])) {
      if (set.has(name)) continue;
      const value = this.value(name);
      if (value !== undefined) result.push(`${name}=${value}`);
    }
    return goSort(result);
  }

  /** True when `name` may appear in the RUN cache prefix: not a proxy arg, or one the stage declared. */
  recorded(name: string): boolean {
    return this.allowed.has(name) || !BUILTIN.has(name);
  }

  /** `--build-arg` names nothing declared so far (proxy args never count as unused). */
  unused(): string[] {
    return goSort(Object.keys(this.fromOptions).filter((k) => !BUILTIN.has(k) && !this.referenced.has(k)));
  }
}

/**
 * The RUN command as Docker records it for the cache and history: `["|N", sorted K=V…, ...argv]`
 * when any build arg is in scope (N counts those recorded: proxy values are left out unless declared),
 * else argv unchanged.
 */
export function withBuildArgPrefix(
  args: BuildArgs,
  inScope: readonly string[],
  argv: readonly string[],
): string[] {
  if (inScope.length === 0) return [...argv];
  const recorded = goSort(inScope.filter((kv) => args.recorded(kv.split('=', 1)[0] ?? '')));
  return [`|${recorded.length}`, ...recorded, ...argv];
}
