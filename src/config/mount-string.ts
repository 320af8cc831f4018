/** The short mount syntax, `host:container[:ro|rw]`, as the seed's `docker run -v` writes it. */

/** A bind mount of a host path. */
export interface BindMount {
  type: 'bind';
  /** As written: absolute, `~/…` or relative to devenv.yml. */
  source: string;
  target: string;
  readonly: boolean;
}

/** A named volume. */
export interface VolumeMount {
  type: 'volume';
  volume: string;
  target: string;
  readonly: boolean;
}

export type NormalizedMount = BindMount | VolumeMount;

/**
 * Splits `host:container[:ro|rw]`; returns a sentence when it does not have that shape.
 * @example parseMountString('.:/src:ro') // {type: 'bind', source: '.', target: '/src', readonly: true}
 */
export function parseMountString(value: string): BindMount | string {
  const parts = value.split(':');
  let mode: string | undefined;
  if (parts.length === 3) mode = parts.pop();
  if (parts.length !== 2) {
    return `"${value}" is not host:container[:ro|rw]; paths containing ":" need the {source, target} form`;
  }
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw')
    return `"${mode}" is not a mount mode; use ro or rw`;
  const [source = '', target = ''] = parts;
  if (source === '' || target === '') return `"${value}" needs both a host path and a container path`;
  return { type: 'bind', source, target, readonly: mode === 'ro' };
}
