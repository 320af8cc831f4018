/**
 * The TUI's entry point, loaded with `import()` by `devenv tui` so only the TUI pays for Ink and
 * React. The build bundles this file with Ink and React inlined (scripts/bundle-tui.mjs).
 *
 * A minimal screen for now: a header and the environments of every runtime, kept current from
 * the runtimes' change reports; `q` or ctrl-c quits.
 */
import { Box, render, Text, useInput } from 'ink';
import { createElement as h, useEffect, useState } from 'react';
import type { EngineContext } from '../../engine/engine-context.js';
import { watchEnvironmentChanges } from '../../engine/env-changes.js';
import { listEnvironments } from '../../engine/lifecycle.js';
import type { EnvironmentInfo } from '../../engine/lifecycle.js';
import type { Stdio } from '../../runtime/runtime.js';

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[2J\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l\x1b[?25h';

export interface TuiOptions {
  /** One engine context per runtime to show. */
  contexts: readonly EngineContext[];
  stdin: Stdio['stdin'];
  stdout: Stdio['stdout'];
  stateHome: string;
  /** Aborted when devenv is told to stop: the TUI closes. */
  signal: AbortSignal;
}

async function listAll(contexts: readonly EngineContext[]): Promise<EnvironmentInfo[]> {
  const lists = await Promise.allSettled(contexts.map((ctx) => listEnvironments(ctx)));
  return lists
    .flatMap((list) => (list.status === 'fulfilled' ? list.value : []))
    .sort((a, b) => a.name.localeCompare(b.name) || a.runtime.localeCompare(b.runtime));
}

function App(props: { options: TuiOptions; onQuit: () => void }) {
  const { options, onQuit } = props;
  const [envs, setEnvs] = useState<EnvironmentInfo[] | undefined>(undefined);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
  });
  useEffect(() => {
    const controller = new AbortController();
    const refresh = (): void => {
      void listAll(options.contexts).then((list) => {
        if (!controller.signal.aborted) setEnvs(list);
      });
    };
    refresh();
    void watchEnvironmentChanges({
      runtimes: options.contexts.map((ctx) => ctx.runtime),
      stateHome: options.stateHome,
      signal: controller.signal,
      onChange: refresh,
    });
    return () => {
      controller.abort();
    };
  }, [options]);
  return h(
    Box,
    { flexDirection: 'column' },
    h(Text, { bold: true }, 'devenv'),
    h(Text, null, 'Environments'),
    envs === undefined
      ? h(Text, null, 'loading…')
      : envs.map((env) =>
          h(
            Text,
            { key: `${env.runtime}/${env.name}`, wrap: 'truncate-end' },
            `  ${env.name}  ${env.state}  ${env.runtime}`,
          ),
        ),
  );
}

/** Runs the TUI until the user quits or `signal` aborts; resolves with the exit status. */
export async function runTui(options: TuiOptions): Promise<number> {
  const { stdin, stdout, signal } = options;
  stdout.write(ENTER_ALT_SCREEN);
  try {
    let quit = (): void => undefined;
    const quitting = new Promise<void>((resolve) => {
      quit = resolve;
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
    // Ink asks for Node's tty streams; it uses only what Stdio has (write, columns, rows, raw mode).
    const instance = render(h(App, { options, onQuit: quit }), {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 30,
    });
    await quitting;
    instance.unmount();
    await instance.waitUntilExit();
    return 0;
  } finally {
    stdout.write(LEAVE_ALT_SCREEN);
  }
}
