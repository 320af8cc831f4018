/** A real terminal for attach/detach tests: a detached tmux session driven with send-keys. */
import { execa } from 'execa';

/** One tmux session running a command. */
export class TmuxSession {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** Starts `command` (a shell line) in a new 120x40 session with the given environment. */
  static async start(
    name: string,
    command: string,
    options: { cwd: string; env: Record<string, string> },
  ): Promise<TmuxSession> {
    await execa('tmux', ['kill-session', '-t', name], { reject: false });
    const exports = Object.entries(options.env)
      .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    await execa('tmux', [
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '120',
      '-y',
      '40',
      '-c',
      options.cwd,
      `env ${exports} ${command}; echo "[exit $?]"; sleep 600`,
    ]);
    return new TmuxSession(name);
  }

  /** Types text (tmux key names are passed through with `keys`). */
  async type(text: string): Promise<void> {
    await execa('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  async keys(...keys: string[]): Promise<void> {
    await execa('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  /** The visible screen. */
  async screen(): Promise<string> {
    return (await execa('tmux', ['capture-pane', '-p', '-J', '-t', this.name, '-S', '-200'])).stdout;
  }

  /** Waits until the screen matches, and returns it. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const start = Date.now();
    for (;;) {
      const screen = await this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out waiting for ${String(pattern)} in tmux; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async kill(): Promise<void> {
    await execa('tmux', ['kill-session', '-t', this.name], { reject: false });
  }
}
