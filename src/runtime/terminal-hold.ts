/**
 * The caller's terminal while a session owns it (an attach, a TTY exec): raw mode on, listeners that
 * come off again, and everything put back as it was at the end: raw mode as it was before (the TUI
 * hands over a terminal already raw), and stdin paused again unless it was flowing, since a stdin
 * left flowing keeps the process alive and swallows input meant for whoever reads it next.
 */
import type { Readable } from 'node:stream';

/** What {@link holdTerminal} gives back. */
export interface TerminalHold {
  /** `emitter.on(event, listener)`, taken off again by {@link TerminalHold.release}. */
  readonly listen: (
    emitter: NodeJS.EventEmitter,
    event: string,
    listener: (...args: never[]) => void,
  ) => void;
  /** Runs `cleanup` at {@link TerminalHold.release}, before stdin is given back. */
  onRelease(cleanup: () => void): void;
  /** Takes the listeners off and restores stdin's raw mode and flow; safe to call twice. */
  release(): void;
}

type TerminalStdin = Readable & { isTTY?: boolean; isRaw?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Takes `stdin` over: raw mode when it is a terminal and `raw` is true. */
export function holdTerminal(stdin: TerminalStdin, raw = true): TerminalHold {
  const makeRaw = raw && stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const wasRaw = makeRaw && stdin.isRaw === true;
  // A stream nobody read from yet is not flowing either.
  const wasFlowing = stdin.readableFlowing === true;
  const cleanups: (() => void)[] = [];
  let released = false;
  if (makeRaw) stdin.setRawMode?.(true);
  return {
    listen: (emitter, event, listener) => {
      const untyped = listener as (...args: unknown[]) => void;
      emitter.on(event, untyped);
      cleanups.push(() => emitter.off(event, untyped));
    },
    onRelease(cleanup) {
      cleanups.push(cleanup);
    },
    release() {
      if (released) return;
      released = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
      if (!wasFlowing) stdin.pause();
      if (makeRaw) stdin.setRawMode?.(wasRaw);
    },
  };
}
