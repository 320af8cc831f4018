/**
 * How long one docker CLI call may take and whether an interrupt cancels it, chosen by what the call
 * does. A hung daemon must not hang devenv, so every call that should answer in seconds has a limit;
 * calls that stream progress or wait on the user (build, pull, save, attach, logs -f) have none.
 */
import { DevenvError } from '../../errors.js';

/** The limit of a query (inspect, ls, version) when DEVENV_DOCKER_TIMEOUT does not set another. */
export const DEFAULT_DOCKER_TIMEOUT_MS = 30_000;

/** The rules for one call. */
export interface CallPolicy {
  /** Kill the call and fail after this many milliseconds; undefined: no limit. */
  timeoutMs: number | undefined;
  /**
   * Whether an interrupt kills the call. Removals and `stop` are what `finally` blocks clean up with,
   * so they must still run after ctrl-c; a `commit` finishes in the daemon whatever happens to the
   * CLI, so devenv waits for it in order to remove the image it makes.
   */
  cancellable: boolean;
}

/** Management groups whose subcommand is the real verb (`image inspect`, `volume rm`). */
const GROUPS = new Set(['builder', 'container', 'context', 'image', 'network', 'system', 'volume']);

/** Answer from the daemon's memory: one base limit. */
const QUERIES = new Set([
  'version',
  '--version',
  'info',
  'system info',
  'inspect',
  'context show',
  'context inspect',
  'container inspect',
  'image inspect',
  'volume inspect',
  'ps',
  'container ls',
  'images',
  'image ls',
  'volume ls',
]);

/** Work on progress, a stream or the user's terminal: as long as it takes. */
const UNLIMITED = new Set([
  'build',
  'image build',
  'pull',
  'image pull',
  'push',
  'image push',
  'save',
  'image save',
  'load',
  'image load',
  'import',
  'image import',
  'commit',
  'container commit',
  'image prune',
  'cp',
  'container cp',
  'run',
  'container run',
  'exec',
  'container exec',
  'attach',
  'container attach',
  'logs',
  'container logs',
]);

/** Calls that must still run after an interrupt (see {@link CallPolicy.cancellable}). */
const CLEANUPS = new Set([
  'rm',
  'container rm',
  'rmi',
  'image rm',
  'volume rm',
  'stop',
  'container stop',
  'commit',
  'container commit',
]);

/** A change on the daemon's disk (create, start, rm, tag) may take a few queries' time on a busy host. */
const CHANGE_FACTOR = 4;

/** docker stop's own grace period when `--time` is not given. */
const STOP_DEFAULT_SECONDS = 10;

/** The verb of a docker argv, without flags or object names: `image inspect`, `ps`, `stop`. */
export function commandName(args: readonly string[]): string {
  const [first = '', second] = args;
  return GROUPS.has(first) && second !== undefined && !second.startsWith('-') ? `${first} ${second}` : first;
}

function stopSeconds(args: readonly string[]): number {
  const at = args.findIndex((a) => a === '--time' || a === '-t');
  const value = at === -1 ? undefined : Number(args[at + 1]);
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : STOP_DEFAULT_SECONDS;
}

/** The policy of the call `args` (without `--context`), given the base limit of a query. */
export function callPolicy(args: readonly string[], baseMs: number): CallPolicy {
  const name = commandName(args);
  const cancellable = !CLEANUPS.has(name);
  if (UNLIMITED.has(name)) return { timeoutMs: undefined, cancellable };
  if (QUERIES.has(name)) return { timeoutMs: baseMs, cancellable };
  // stop waits for the container's own grace period before it kills; the limit starts after that.
  const grace = name === 'stop' || name === 'container stop' ? stopSeconds(args) * 1000 : 0;
  return { timeoutMs: grace + baseMs * CHANGE_FACTOR, cancellable };
}

/**
 * The base limit from `DEVENV_DOCKER_TIMEOUT` (seconds, for a slow remote engine or a test), else
 * {@link DEFAULT_DOCKER_TIMEOUT_MS}. A value that is not a positive number is a usage error.
 */
export function dockerTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const text = env['DEVENV_DOCKER_TIMEOUT'];
  if (text === undefined || text.trim() === '') return DEFAULT_DOCKER_TIMEOUT_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new DevenvError('DEVENV_USAGE', `DEVENV_DOCKER_TIMEOUT="${text}" is not a number of seconds`, {
      hint: 'set it to a positive number such as 60, or unset it for the default of 30 seconds',
    });
  return Math.round(seconds * 1000);
}
