/**
 * `env:` values may refer to the image's own variables (`PATH: /opt/bin:$PATH`). The environment is a
 * run setting, not an `ENV` line, so nothing resolves those references at build time: devenv does it
 * when it creates the container, against the environment image's config. Pure.
 *
 * The syntax is the Dockerfile's subset users already know: `$NAME` and `${NAME}`; `$$` is a literal
 * `$`; a name the image does not define resolves to the empty string, as it would in `ENV`.
 */

/**
 * The PATH a container gets when its image sets none (an imported root filesystem): Docker's and
 * runc's default. References to `$PATH` in such an image resolve to it, never to an empty PATH.
 */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One piece of an env value: literal text, or a reference to a variable of the image. */
export type EnvPart = { text: string } | { ref: string };

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Splits a value into literal text and references, in order; adjacent literals are merged. */
export function parseEnvValue(value: string): EnvPart[] {
  const parts: EnvPart[] = [];
  const literal = (text: string) => {
    if (text === '') return;
    const last = parts[parts.length - 1];
    if (last !== undefined && 'text' in last) last.text += text;
    else parts.push({ text });
  };
  let start = 0;
  for (const match of value.matchAll(REFERENCE)) {
    literal(value.slice(start, match.index));
    const name = match[1] ?? match[2];
    if (name === undefined) literal('$');
    else parts.push({ ref: name });
    start = match.index + match[0].length;
  }
  literal(value.slice(start));
  return parts;
}

/** `NAME=value` lines (an image config's `Env`) as a map; the first definition of a name wins. */
export function envListToMap(list: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of list) {
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (!map.has(name)) map.set(name, eq < 0 ? '' : line.slice(eq + 1));
  }
  return map;
}

/** Resolves every reference in `env` against the image's `Env` list. */
export function resolveEnvRefs(
  env: Readonly<Record<string, string>>,
  imageEnv: readonly string[],
): Record<string, string> {
  const image = envListToMap(imageEnv);
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      parseEnvValue(value)
        .map((part) => ('text' in part ? part.text : (image.get(part.ref) ?? '')))
        .join(''),
    ]),
  );
}
