/**
 * Handing the real terminal to a child (attach, a new shell, the editor) and taking it back. Ink 6
 * cannot suspend itself, so the TUI lets go in steps: input off (every input handler inactive, so
 * Ink leaves raw mode and stops reading), stdin paused (a parent still reading fd 0 would steal the
 * child's keys), the Ink instance unmounted, the alternate screen left. After the child exits the
 * alternate screen comes back and a fresh instance paints the same store.
 */
import { spawn } from 'node:child_process';

/** What runs in the terminal: an argv, or a shell line (the user's `$EDITOR` may carry flags). */
export type ChildCommand = { argv: readonly string[] } | { shell: string };

/** Runs a child on the real terminal; resolves with its exit status (undefined when killed). */
export type Spawner = (command: ChildCommand) => Promise<number | undefined>;

/** The screen side of a handover: release it to a child, and take it back. */
export interface TerminalScreen {
  /** Input off, stdin paused, Ink unmounted, alternate screen left, cursor shown. */
  release(): Promise<void>;
  /** Alternate screen again, and a fresh Ink instance on the same store. */
  restore(): void;
  /** A line on the normal screen, before the child starts. */
  say(line: string): void;
}

/** Gives the terminal to a child and back. */
export interface Handover {
  run(command: ChildCommand, banner: string): Promise<number | undefined>;
}

/** The handover on a {@link TerminalScreen}; the screen always comes back, even when spawn fails. */
export function terminalHandover(screen: TerminalScreen, spawner: Spawner = spawnInherit): Handover {
  return {
    async run(command, banner) {
      await screen.release();
      try {
        screen.say(banner);
        return await spawner(command);
      } finally {
        screen.restore();
      }
    },
  };
}

/** Spawns with the terminal inherited, without blocking the event loop (jobs keep running). */
export const spawnInherit: Spawner = (command) =>
  new Promise((resolve, reject) => {
    const child =
      'argv' in command
        ? spawn(command.argv[0] ?? '', command.argv.slice(1), { stdio: 'inherit' })
        : spawn(command.shell, { stdio: 'inherit', shell: true });
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve(code ?? undefined);
    });
  });
