/**
 * The key map: one table from context to key to action. The root input handler reads it, the hint
 * bar and the `?` overlay are drawn from it, and the README lists it, so a key cannot do one thing
 * and be documented as another.
 */

/** Everything a key can ask for; the controller implements each. */
export type ActionName =
  | 'up'
  | 'down'
  | 'top'
  | 'bottom'
  | 'page-up'
  | 'page-down'
  | 'focus-next'
  | 'tab-detail'
  | 'tab-logs'
  | 'tab-plan'
  | 'tab-prev'
  | 'tab-next'
  | 'attach'
  | 'shell'
  | 'start'
  | 'stop'
  | 'restart'
  | 'rebuild'
  | 'rebuild-no-cache'
  | 'plan'
  | 'logs'
  | 'save'
  | 'load'
  | 'remove'
  | 'edit'
  | 'ignore-change'
  | 'toggle-watch'
  | 'cancel-job'
  | 'filter'
  | 'follow'
  | 'search'
  | 'next-match'
  | 'prev-match'
  | 'refresh'
  | 'redraw'
  | 'help'
  | 'quit'
  | 'interrupt'
  | 'close';

/** Where the keyboard is: what the table is looked up under. */
export type KeyContext = 'main' | 'list' | 'logs' | 'help';

/** One row of the table. */
export interface KeyBinding {
  keys: readonly string[];
  action: ActionName;
  /** What the `?` overlay and the docs say it does. */
  label: string;
  /** Its words in the hint bar, when it is shown there. */
  hint?: string;
}

/** The table. Key names: a character, or `up` `down` `pageup` `pagedown` `home` `end` `enter` `escape` `tab` `shift-tab` `ctrl-X`. */
export const KEYMAP: Readonly<Record<KeyContext, readonly KeyBinding[]>> = {
  list: [
    { keys: ['up', 'k'], action: 'up', label: 'move up', hint: '↑↓ move' },
    { keys: ['down', 'j'], action: 'down', label: 'move down' },
    { keys: ['g', 'home'], action: 'top', label: 'first environment' },
    { keys: ['G', 'end'], action: 'bottom', label: 'last environment' },
    { keys: ['pageup'], action: 'page-up', label: 'page up' },
    { keys: ['pagedown'], action: 'page-down', label: 'page down' },
    { keys: ['/'], action: 'filter', label: 'filter the list by name', hint: '/ filter' },
  ],
  logs: [
    { keys: ['up', 'k'], action: 'up', label: 'scroll up' },
    { keys: ['down', 'j'], action: 'down', label: 'scroll down' },
    { keys: ['g', 'home'], action: 'top', label: 'oldest line' },
    { keys: ['G', 'end'], action: 'bottom', label: 'newest line, following' },
    { keys: ['pageup'], action: 'page-up', label: 'page up' },
    { keys: ['pagedown'], action: 'page-down', label: 'page down' },
    { keys: ['f'], action: 'follow', label: 'follow new lines on/off', hint: 'f follow' },
    { keys: ['/'], action: 'search', label: 'search the log', hint: '/ search' },
    { keys: ['n'], action: 'next-match', label: 'next match', hint: 'n/N match' },
    { keys: ['N'], action: 'prev-match', label: 'previous match' },
  ],
  main: [
    {
      keys: ['enter', 'a'],
      action: 'attach',
      label: 'attach (a stopped environment is started first)',
      hint: '⏎ attach',
    },
    { keys: ['e'], action: 'shell', label: 'open a new shell', hint: 'e shell' },
    { keys: ['u'], action: 'start', label: 'start', hint: 'u start' },
    { keys: ['s'], action: 'stop', label: 'stop', hint: 's stop' },
    { keys: ['r'], action: 'restart', label: 'restart (or recreate after a change)', hint: 'r restart' },
    {
      keys: ['b'],
      action: 'rebuild',
      label: 'rebuild (devenv up; says what will be lost first)',
      hint: 'b rebuild',
    },
    { keys: ['B'], action: 'rebuild-no-cache', label: 'rebuild without the build cache' },
    {
      keys: ['p', '3'],
      action: 'plan',
      label: 'plan: the generated Dockerfile and run flags',
      hint: 'p plan',
    },
    { keys: ['l', '2'], action: 'logs', label: 'logs', hint: 'l logs' },
    { keys: ['1'], action: 'tab-detail', label: 'detail' },
    { keys: ['['], action: 'tab-prev', label: 'previous tab' },
    { keys: [']'], action: 'tab-next', label: 'next tab' },
    { keys: ['tab', 'shift-tab'], action: 'focus-next', label: 'move focus between the list and the pane' },
    { keys: ['S'], action: 'save', label: 'save to a file (move it out)', hint: 'S save' },
    { keys: ['I'], action: 'load', label: 'load from a file (move it in)', hint: 'I load' },
    { keys: ['d'], action: 'remove', label: 'remove (type the name to confirm)', hint: 'd rm' },
    { keys: ['o'], action: 'edit', label: 'open devenv.yml in $VISUAL or $EDITOR' },
    { keys: ['i'], action: 'ignore-change', label: 'ignore the pending devenv.yml change' },
    { keys: ['W'], action: 'toggle-watch', label: 'watch devenv.yml and COPY sources on/off' },
    { keys: ['c'], action: 'cancel-job', label: 'cancel the running job' },
    { keys: ['ctrl-r'], action: 'refresh', label: 'refresh now' },
    { keys: ['ctrl-l'], action: 'redraw', label: 'redraw the screen' },
    { keys: ['?'], action: 'help', label: 'this help', hint: '? help' },
    { keys: ['q'], action: 'quit', label: 'quit', hint: 'q quit' },
    { keys: ['ctrl-c'], action: 'interrupt', label: 'cancel the job or dialog; twice quits' },
  ],
  help: [
    { keys: ['escape', '?', 'q'], action: 'close', label: 'close the help', hint: 'esc close' },
    { keys: ['up', 'k'], action: 'up', label: 'scroll up', hint: '↑↓ scroll' },
    { keys: ['down', 'j'], action: 'down', label: 'scroll down' },
  ],
};

/** The contexts searched, first match wins: the focused pane's own keys before the common ones. */
export function contextsFor(where: 'list' | 'detail' | 'logs' | 'plan' | 'help'): KeyContext[] {
  if (where === 'help') return ['help'];
  if (where === 'list') return ['list', 'main'];
  if (where === 'logs') return ['logs', 'main'];
  return ['main'];
}

/** The action of `key` in the first context that binds it. */
export function actionFor(contexts: readonly KeyContext[], key: string): ActionName | undefined {
  for (const context of contexts)
    for (const binding of KEYMAP[context]) if (binding.keys.includes(key)) return binding.action;
  return undefined;
}

/** The hint bar's entries for these contexts, in table order. */
export function hintsFor(contexts: readonly KeyContext[]): string[] {
  return contexts.flatMap((c) => KEYMAP[c].flatMap((b) => (b.hint === undefined ? [] : [b.hint])));
}

/** How a key shows in help: `↑`, `⏎`, `ctrl-r`. */
export function keyLabel(key: string): string {
  const names: Record<string, string> = { up: '↑', down: '↓', enter: '⏎', escape: 'esc' };
  return names[key] ?? key;
}

/** The `?` overlay and the docs: one line per binding, `keys  label`. */
export function helpLines(): { context: KeyContext; keys: string; label: string }[] {
  return (Object.keys(KEYMAP) as KeyContext[]).flatMap((context) =>
    KEYMAP[context].map((b) => ({ context, keys: b.keys.map(keyLabel).join(' '), label: b.label })),
  );
}

/** What Ink reports for a key press. */
export interface InkKey {
  upArrow: boolean;
  downArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home?: boolean;
  end?: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
}

const NO_KEY: InkKey = {
  upArrow: false,
  downArrow: false,
  pageUp: false,
  pageDown: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
};

/** The key press of one control character: enter, tab, backspace or ctrl-LETTER. */
function controlPress(char: string): { input: string; key: InkKey } {
  if (char === '\r' || char === '\n') return { input: '', key: { ...NO_KEY, return: true } };
  if (char === '\t') return { input: '', key: { ...NO_KEY, tab: true } };
  if (char === '\x7f' || char === '\b') return { input: '', key: { ...NO_KEY, backspace: true } };
  const code = char.charCodeAt(0);
  return { input: String.fromCharCode(code + 96), key: { ...NO_KEY, ctrl: true } };
}

/**
 * The key presses in one chunk of input. Ink splits a chunk at escape sequences only, so keys typed
 * faster than the TUI reads them (a paste, keys sent by a script, a loaded machine) arrive as one
 * `input`: `dapi\r` is d, a, p, i and enter (the rm dialog opens and gets the name), and
 * `app.tar\tcopy\r` fills two fields of a form, not one.
 */
export function splitPresses(input: string, key: InkKey): { input: string; key: InkKey }[] {
  if (input.length < 2 || keyName(input, key) !== input) return [{ input, key }];
  // eslint-disable-next-line no-control-regex -- control characters are keys, not text
  const control = /^[\x00-\x1f\x7f]$/;
  return Array.from(input, (char) =>
    control.test(char)
      ? controlPress(char)
      : { input: char, key: { ...NO_KEY, shift: /^[A-Z]$/.test(char) } },
  );
}

/** The table's name for a key press. */
export function keyName(input: string, key: InkKey): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home === true) return 'home';
  if (key.end === true) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input.length === 1) return `ctrl-${input.toLowerCase()}`;
  return input;
}
