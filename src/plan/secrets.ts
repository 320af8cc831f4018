/**
 * How proxy values reach a container's processes without being written into any container or image
 * config: a host file, mounted read-only at {@link SECRET_ENV_TARGET}, sourced by a small wrapper in
 * front of the main command and of every exec. Runtime-neutral: both runtimes use it.
 */

/** Where the secret env file appears in the container. */
export const SECRET_ENV_TARGET = '/run/devenv/env';

/** Sources the secret env file (when present), then runs the original command unchanged. */
export const SECRET_ENV_WRAPPER = `if [ -r ${SECRET_ENV_TARGET} ]; then set -a; . ${SECRET_ENV_TARGET}; set +a; fi; exec "$@"`;

/** `command` run through the wrapper: `/bin/sh -c WRAPPER devenv-env command…`. */
export function wrapWithSecrets(command: readonly string[]): string[] {
  return ['/bin/sh', '-c', SECRET_ENV_WRAPPER, 'devenv-env', ...command];
}
