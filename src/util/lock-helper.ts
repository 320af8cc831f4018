/**
 * The fast path of {@link acquireLock}: one long-lived `sh` per devenv process that opens lock files
 * on its descriptors 3–9 and takes each flock with `flock --nonblock`, so a free lock costs a line on
 * a pipe instead of a process started from devenv's own.
 *
 * Why: Node starts a child by forking itself, and forking a process of 150 MB (a pull or a load in
 * progress) takes 20–40 ms of its only thread; a pull took 14 locks. The helper is forked once, and
 * the `flock` it starts per lock is forked from a small shell.
 *
 * What stays true: the lock belongs to an open file description of the helper, and the helper reads
 * our pipe, so when devenv dies by any signal the pipe closes, the shell's `read` ends, the shell
 * exits and the kernel drops every lock it held (docs/reliability.md, rule 6). The helper runs in its
 * own session, so a Ctrl-C aimed at devenv does not take its locks before devenv has cleaned up. A
 * lock that is busy, a path the protocol cannot carry, the seven descriptors in use or a helper that
 * died all answer "not taken here", and the caller falls back to waiting with a `flock` of its own.
 *
 * The helper ends once no lock has been held for two seconds (a long-lived process that took a lock
 * at its start, such as a container's monitor, does not keep a shell beside it), and the next lock
 * starts another.
 *
 * Protocol, one line each way: `L SLOT PATH` → `ok` | `busy` | `fail`; `U SLOT` → `ok`.
 */
import type { ChildProcess } from 'node:child_process';
import { childProcess } from './child-process.js';

/**
 * POSIX sh (dash, bash and busybox alike): single-digit descriptors only, `command exec` so a file
 * that cannot be opened is an answer and not the end of the shell, `IFS= read -r` so a path keeps
 * its blanks and backslashes.
 */
const SCRIPT = `
while IFS= read -r line; do
  op=\${line%% *}; rest=\${line#* }
  case $op in
  L) slot=\${rest%% *}; file=\${rest#* }
     if eval "command exec $slot<\\"\\$file\\"" 2>/dev/null; then
       if flock --nonblock --exclusive "$slot" 2>/dev/null; then echo ok
       else eval "exec $slot<&-"; echo busy; fi
     else echo fail; fi ;;
  U) eval "exec $rest<&-"; echo ok ;;
  *) echo fail ;;
  esac
done
`;

const SLOTS = [3, 4, 5, 6, 7, 8, 9] as const;
const IDLE_MS = 2000;

/** A lock the helper holds. */
export interface HelperLock {
  /** Releases it; resolves once the helper has closed the descriptor. */
  release(): Promise<void>;
  /** True once the helper died: the kernel dropped the lock with it. */
  readonly lost: boolean;
}

interface Unrefable {
  ref(): void;
  unref(): void;
}

class LockHelper {
  readonly #child: ChildProcess;
  readonly #free: number[] = [...SLOTS];
  readonly #replies: ((reply: string) => void)[] = [];
  #buffer = '';
  #dead = false;
  #retired = false;
  #held = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.#child = childProcess().spawn('sh', ['-c', SCRIPT], {
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    });
    this.#child.once('error', () => {
      this.#die();
    });
    this.#child.once('exit', () => {
      this.#die();
    });
    this.#child.stdin?.on('error', () => {
      this.#die();
    });
    this.#child.stdout?.setEncoding('utf8');
    this.#child.stdout?.on('data', (chunk: string) => {
      this.#read(chunk);
    });
    this.#idle();
  }

  /** False once the helper ended, expectedly or not: a new one is needed for the fast path. */
  get usable(): boolean {
    return !this.#retired;
  }

  /** Takes the lock on `file` if it is free right now; undefined when it is not taken here. */
  async tryLock(file: string): Promise<HelperLock | undefined> {
    if (this.#dead || this.#retired || /[\n\r\0]/.test(file)) return undefined;
    const slot = this.#free.shift();
    if (slot === undefined) return undefined;
    const reply = await this.#request(`L ${slot} ${file}`);
    if (reply !== 'ok') {
      if (this.#alive()) this.#free.push(slot);
      this.#scheduleRetire();
      return undefined;
    }
    this.#held++;
    let released = false;
    const alive = (): boolean => this.#alive();
    return {
      release: async () => {
        if (released) return;
        released = true;
        if (this.#dead) return;
        await this.#request(`U ${slot}`);
        if (this.#alive()) this.#free.push(slot);
        this.#held--;
        this.#scheduleRetire();
      },
      get lost(): boolean {
        return !released && !alive();
      },
    };
  }

  /** Read through a call: the flag changes while a reply is awaited. */
  #alive(): boolean {
    return !this.#dead;
  }

  #scheduleRetire(): void {
    if (this.#held > 0 || this.#dead) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#held > 0 || this.#replies.length > 0) return;
      this.#retired = true;
      this.#child.stdin?.end();
    }, IDLE_MS);
    this.#idleTimer.unref();
  }

  #request(line: string): Promise<string> {
    if (this.#dead || this.#retired) return Promise.resolve('fail');
    clearTimeout(this.#idleTimer);
    return new Promise((resolve) => {
      this.#replies.push(resolve);
      if (this.#replies.length === 1) this.#busy();
      this.#child.stdin?.write(`${line}\n`);
    });
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const reply = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      this.#replies.shift()?.(reply);
    }
    if (this.#replies.length === 0) this.#idle();
  }

  /** While a reply is awaited the pipes keep the process alive; otherwise the helper never does. */
  #busy(): void {
    this.#setRef(true);
  }

  #idle(): void {
    this.#setRef(false);
  }

  #setRef(on: boolean): void {
    for (const handle of [this.#child, this.#child.stdin, this.#child.stdout]) {
      const refs = handle as Partial<Unrefable> | null;
      if (on) refs?.ref?.();
      else refs?.unref?.();
    }
  }

  #die(): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#idleTimer);
    this.#idle();
    for (const reply of this.#replies.splice(0)) reply('fail');
  }
}

let helper: LockHelper | undefined;

/**
 * Takes `file`'s lock through the process's helper when it is free at once; undefined when the
 * caller must wait for it (or cannot use the helper) and should take it itself.
 */
export function tryLockWithHelper(file: string): Promise<HelperLock | undefined> {
  // A helper that died (or a shell that is missing) leaves the slow path to the rest of the process;
  // one that retired after its idle time is replaced.
  if (helper === undefined || !helper.usable) helper = new LockHelper();
  return helper.tryLock(file);
}
