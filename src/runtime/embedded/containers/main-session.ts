/**
 * The main process of a container as the attach server sees it: a terminal to type into, resize
 * and read from, and an exit status. The monitor implements it over the sandbox's pty; the attach
 * server and the session log need nothing else.
 */
export interface MainSession {
  /** Sends input to the pty, as if typed. */
  write(data: Buffer): void;
  /** Sets the pty's size; the foreground process group gets SIGWINCH. */
  resize(rows: number, cols: number): Promise<void>;
  /** Calls `listener` with every chunk of output from now on; returns a function that stops it. */
  onOutput(listener: (chunk: Buffer) => void): () => void;
  /** Resolves with the main process's exit status (128+n for a death by signal n). */
  exited: Promise<number>;
}
