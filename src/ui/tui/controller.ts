/**
 * What keys do: the key map's actions carried out on the store and the engine. Jobs (start, rebuild,
 * save…) run in the background with their progress in the store, so the screen never waits on
 * them; a failed job shows its message and hint on the status line.
 */
import { Writable } from 'node:stream';
import { isDevenvError } from '../../errors.js';
import { InterruptedError } from '../../util/interrupt.js';
import type { JobHooks, TuiEngine } from './engine-port.js';
import type { Handover } from './handover.js';
import { actionFor, contextsFor, keyName, splitPresses } from './keymap.js';
import type { ActionName, InkKey } from './keymap.js';
import { isRunning } from './model.js';
import type { EnvRow } from './model.js';
import { JobProgress } from './progress-adapter.js';
import type { ChangeSource, WatchSource } from './sources.js';
import { newLogs, selectedRow } from './store.js';
import type { Dialog, PendingChange, Store, Tab } from './store.js';
import { keyPlace } from './view-chrome.js';

export interface ControllerOptions {
  store: Store;
  engine: TuiEngine;
  handover: Handover;
  changes: ChangeSource;
  watch: WatchSource;
  now: () => number;
  /** Called once when the user quits. */
  onQuit: () => void;
  /** Repaints the whole screen (ctrl-l). */
  onRedraw?: () => void;
}

const TABS: readonly Tab[] = ['detail', 'logs', 'plan'];

export class Controller {
  private readonly store: Store;
  private readonly engine: TuiEngine;
  private jobSerial = 0;
  private refreshing: Promise<void> | undefined;
  private queuedChange: PendingChange | undefined;
  /** `W` turned the watch off: its changes are dropped until it is turned on again. */
  private watchOff = false;
  private interruptedAt = -Infinity;
  private readonly cancels = new Map<number, AbortController>();

  constructor(private readonly options: ControllerOptions) {
    this.store = options.store;
    this.engine = options.engine;
  }

  /** Starts listening to the change and watch sources and takes the first inventory. */
  start(): Promise<void> {
    this.options.changes.start((name) => {
      void this.refresh(name);
    });
    this.options.watch.start((change) => {
      if (this.watchOff) return;
      if (this.store.getState().suspended) this.queuedChange = change;
      else this.store.dispatch({ type: 'pending', change });
    });
    return this.refresh();
  }

  /**
   * `W`: stops or resumes following edits of devenv.yml and the COPY sources. Off drops the pending
   * change; on again, the next edit is judged against the environment as it is then.
   */
  private toggleWatch(): void {
    this.watchOff = !this.watchOff;
    if (this.watchOff) {
      this.queuedChange = undefined;
      this.store.dispatch({ type: 'pending', change: undefined });
    }
    const text = this.watchOff
      ? 'watch off: edits of devenv.yml are not followed (W turns it on)'
      : 'watch on: edits of devenv.yml are followed again';
    this.store.dispatch({ type: 'notice', notice: { kind: 'info', text } });
  }

  close(): void {
    this.options.changes.close();
    this.options.watch.close();
    for (const cancel of this.cancels.values()) cancel.abort(new InterruptedError('SIGTERM'));
  }

  /**
   * Refreshes one environment (by name, on whichever runtime holds it) or, without a name, all of
   * them. Never while a child owns the terminal; refreshes of everything never overlap.
   */
  async refresh(name?: string): Promise<void> {
    const state = this.store.getState();
    if (state.suspended) return;
    this.store.dispatch({ type: 'tick', now: this.options.now() });
    if (name !== undefined) {
      const rows = state.rows.filter((r) => r.name === name);
      for (const row of rows.length > 0 ? rows : []) {
        const fresh = await this.engine.inspect(row);
        this.store.dispatch({ type: 'row', key: row.key, row: fresh });
      }
      if (rows.length === 0) return this.refresh();
      return;
    }
    if (this.refreshing !== undefined) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const { rows, problems } = await this.engine.inventory();
        this.store.dispatch({ type: 'rows', rows });
        if (problems.length > 0)
          this.store.dispatch({ type: 'notice', notice: { kind: 'error', text: problems.join('; ') } });
        const current = this.store.getState();
        if (current.tab === 'logs' && current.logs?.follow === true) await this.loadLogs();
      } catch (error) {
        this.fail(error);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** One key press from Ink. */
  onKey(input: string, key: InkKey): void {
    for (const press of splitPresses(input, key)) this.onePress(press.input, press.key);
  }

  private onePress(input: string, key: InkKey): void {
    const name = keyName(input, key);
    const state = this.store.getState();
    if (state.dialog !== undefined) {
      this.dialogKey(state.dialog, name, input);
      return;
    }
    if (state.entry !== undefined) {
      this.entryKey(state.entry, name, input);
      return;
    }
    const action = actionFor(contextsFor(keyPlace(state)), name);
    if (action !== undefined) this.perform(action);
  }

  /** Carries out one action of the key map. */
  perform(action: ActionName): void {
    const state = this.store.getState();
    const row = selectedRow(state);
    const place = keyPlace(state);
    const dispatch = this.store.dispatch;
    switch (action) {
      case 'up':
      case 'down':
      case 'page-up':
      case 'page-down': {
        const step =
          (action.startsWith('page') ? 10 : 1) * (action === 'up' || action === 'page-up' ? -1 : 1);
        if (place === 'help') dispatch({ type: 'help-scroll', by: step });
        else if (place === 'logs') this.scrollLogs(-step);
        else dispatch({ type: 'move', by: step });
        return;
      }
      case 'top':
      case 'bottom':
        if (place === 'logs') {
          const lines = state.logs?.buffer.length ?? 0;
          dispatch({ type: 'logs-view', follow: action === 'bottom', scroll: action === 'top' ? lines : 0 });
        } else dispatch({ type: 'move', by: action });
        return;
      case 'focus-next':
        dispatch({ type: 'focus', focus: state.focus === 'list' ? 'pane' : 'list' });
        return;
      case 'tab-detail': {
        this.showTab('detail');
        return;
      }
      case 'logs': {
        this.showTab('logs');
        return;
      }
      case 'plan': {
        this.showTab('plan');
        return;
      }
      case 'tab-prev':
      case 'tab-next': {
        const at = TABS.indexOf(state.tab) + (action === 'tab-next' ? 1 : -1);
        this.showTab(TABS[(at + TABS.length) % TABS.length] ?? 'detail');
        return;
      }
      case 'help':
        dispatch({ type: 'help', open: !state.help });
        return;
      case 'close':
        dispatch({ type: 'help', open: false });
        return;
      case 'filter':
        dispatch({ type: 'entry', entry: { kind: 'filter', text: state.filter } });
        return;
      case 'search':
        dispatch({ type: 'entry', entry: { kind: 'search', text: state.logs?.search ?? '' } });
        return;
      case 'follow':
        dispatch({ type: 'logs-view', follow: !(state.logs?.follow ?? true), scroll: 0 });
        return;
      case 'next-match':
      case 'prev-match': {
        this.jumpToMatch(action === 'next-match' ? 1 : -1);
        return;
      }
      case 'refresh':
        void this.refresh();
        return;
      case 'redraw':
        this.options.onRedraw?.();
        return;
      case 'ignore-change':
        dispatch({ type: 'pending', change: undefined });
        return;
      case 'toggle-watch':
        this.toggleWatch();
        return;
      case 'cancel-job':
        this.cancelNewestJob();
        return;
      case 'interrupt': {
        this.interrupt();
        return;
      }
      case 'quit': {
        this.quit();
        return;
      }
      case 'load': {
        this.askLoad();
        return;
      }
      default:
        if (row === undefined) {
          dispatch({ type: 'notice', notice: { kind: 'error', text: 'no environment selected' } });
          return;
        }
        {
          this.rowAction(action, row);
          return;
        }
    }
  }

  private rowAction(action: ActionName, row: EnvRow): void {
    switch (action) {
      case 'attach':
      case 'shell':
        void this.handOver(action, row);
        return;
      case 'start':
        this.job(`start ${row.name}`, row, (hooks) => this.engine.start(row, hooks));
        return;
      case 'stop':
        this.job(`stop ${row.name}`, row, (hooks) => this.engine.stop(row, hooks));
        return;
      case 'restart':
        // After a run-settings change, `r` recreates (keeping files) as the banner says.
        if (this.store.getState().pendingChange?.verdict === 'recreate' && row.mine) {
          this.rowAction('rebuild', row);
          return;
        }
        this.job(`restart ${row.name}`, row, (hooks) => this.engine.restart(row, hooks));
        return;
      case 'rebuild':
      case 'rebuild-no-cache':
        this.store.dispatch({ type: 'pending', change: undefined });
        this.job(`rebuild ${row.name}`, row, (hooks) =>
          this.engine.rebuild(row, action === 'rebuild-no-cache', hooks),
        );
        return;
      case 'save':
        this.form(
          `Save ${row.name}`,
          [`Write ${row.name} (image, changes, volumes, devenv.yml) to a file.`],
          [{ label: 'file', value: `${row.name}.tar` }],
          () => undefined,
          ([file]) => {
            this.job(`save ${row.name}`, row, (hooks) => this.engine.save(row, file ?? '', hooks));
          },
        );
        return;
      case 'remove':
        this.form(
          `Remove ${row.name}`,
          [
            `Removes the container of ${row.name} and the changes made in it; named volumes stay.`,
            `Type ${row.name} to remove it.`,
          ],
          [{ label: 'name', value: '' }],
          ([typed]) => (typed === row.name ? undefined : `type ${row.name} exactly`),
          () => {
            this.job(`remove ${row.name}`, row, (hooks) => this.engine.remove(row, hooks));
          },
        );
        return;
      case 'edit':
        void this.edit();
        return;
      default:
        return;
    }
  }

  private showTab(tab: Tab): void {
    this.store.dispatch({ type: 'tab', tab });
    this.store.dispatch({ type: 'focus', focus: 'pane' });
    if (tab === 'logs') void this.loadLogs();
    if (tab === 'plan') void this.loadPlan();
  }

  private async loadLogs(): Promise<void> {
    const state = this.store.getState();
    const row = selectedRow(state);
    if (row === undefined || row.state === 'absent') return;
    const previous = state.logs?.key === row.key ? state.logs : undefined;
    const logs = {
      ...newLogs(row.key),
      follow: previous?.follow ?? true,
      scroll: previous?.scroll ?? 0,
      search: previous?.search ?? '',
    };
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    try {
      await this.engine.logs(row, sink);
      for (const chunk of chunks) logs.buffer.write(chunk);
      this.store.dispatch({ type: 'logs', logs: { ...logs, version: logs.buffer.added } });
    } catch (error) {
      this.fail(error);
    }
  }

  private async loadPlan(): Promise<void> {
    const row = selectedRow(this.store.getState());
    if (row === undefined) return;
    try {
      this.store.dispatch({ type: 'plan', plan: { key: row.key, lines: await this.engine.plan(row) } });
    } catch (error) {
      this.fail(error);
    }
  }

  private scrollLogs(by: number): void {
    const logs = this.store.getState().logs;
    if (logs === undefined) return;
    const scroll = Math.max(0, Math.min(logs.buffer.length, logs.scroll + by));
    this.store.dispatch({ type: 'logs-view', scroll, follow: scroll === 0 && logs.follow });
  }

  private jumpToMatch(direction: 1 | -1): void {
    const logs = this.store.getState().logs;
    if (logs === undefined || logs.search === '') return;
    const lines = logs.buffer.all();
    const needle = logs.search.toLowerCase();
    const current = lines.length - 1 - logs.scroll;
    const indexes = lines.flatMap((l, i) => (l.toLowerCase().includes(needle) ? [i] : []));
    const next =
      direction === 1 ? indexes.find((i) => i > current) : [...indexes].reverse().find((i) => i < current);
    if (next !== undefined)
      this.store.dispatch({ type: 'logs-view', follow: false, scroll: lines.length - 1 - next });
  }

  private dialogKey(dialog: Dialog, name: string, input: string): void {
    const close = (): void => {
      this.store.dispatch({ type: 'dialog', dialog: undefined });
    };
    if (dialog.kind === 'confirm') {
      if (name === 'y' || name === 'Y') {
        close();
        dialog.answer(true);
      } else if (['n', 'N', 'escape', 'ctrl-c', 'enter'].includes(name)) {
        close();
        dialog.answer(false);
      }
      return;
    }
    if (name === 'escape' || name === 'ctrl-c') {
      close();
      return;
    }
    const values = dialog.fields.map((f) => f.value);
    if (name === 'tab' || name === 'shift-tab' || name === 'down' || name === 'up') {
      const step = name === 'tab' || name === 'down' ? 1 : -1;
      const focus = (dialog.focus + step + dialog.fields.length) % dialog.fields.length;
      this.store.dispatch({ type: 'dialog', dialog: { ...dialog, focus } });
      return;
    }
    if (name === 'enter') {
      if (dialog.check(values) !== undefined) return;
      close();
      dialog.submit(values);
      return;
    }
    const fields = dialog.fields.map((f, i) => {
      if (i !== dialog.focus) return f;
      if (name === 'backspace') return { ...f, value: Array.from(f.value).slice(0, -1).join('') };
      return isText(input, name) ? { ...f, value: f.value + input } : f;
    });
    this.store.dispatch({ type: 'dialog', dialog: { ...dialog, fields } });
  }

  private entryKey(
    entry: NonNullable<ReturnType<Store['getState']>['entry']>,
    name: string,
    input: string,
  ): void {
    let text = entry.text;
    if (name === 'escape' || name === 'ctrl-c') text = '';
    else if (name === 'backspace') text = Array.from(text).slice(0, -1).join('');
    else if (name !== 'enter' && isText(input, name)) text += input;
    const done = name === 'enter' || name === 'escape' || name === 'ctrl-c';
    if (entry.kind === 'filter') this.store.dispatch({ type: 'filter', text });
    else this.store.dispatch({ type: 'logs-view', search: text });
    this.store.dispatch({ type: 'entry', entry: done ? undefined : { ...entry, text } });
    if (done && entry.kind === 'search' && text !== '') this.jumpToMatch(-1);
  }

  private form(
    title: string,
    lines: string[],
    fields: { label: string; value: string }[],
    check: (values: string[]) => string | undefined,
    submit: (values: string[]) => void,
  ): void {
    this.store.dispatch({
      type: 'dialog',
      dialog: { kind: 'form', title, lines, fields, focus: 0, check, submit },
    });
  }

  private askLoad(): void {
    this.form(
      'Load',
      ['Restore an environment saved with S (or devenv save).', 'Its devenv.yml is written to the folder.'],
      [
        { label: 'file', value: '' },
        { label: 'new name (empty: the saved one)', value: '' },
        { label: 'folder (empty: ./NAME)', value: '' },
      ],
      ([file]) => (file === undefined || file.trim() === '' ? 'name the file to load' : undefined),
      ([file = '', name = '', dir = '']) => {
        const newName = name.trim() === '' ? undefined : name.trim();
        const folder = dir.trim() === '' ? this.engine.loadFolder(newName) : dir.trim();
        this.job(`load ${file}`, undefined, (hooks) =>
          this.engine.load({ file: file.trim(), name: newName, dir: folder }, hooks),
        );
      },
    );
  }

  /** Asks a yes/no question in a dialog (the engine's `confirm`). */
  private confirm(title: string, lines: string[]): Promise<boolean> {
    return new Promise((resolve) => {
      this.store.dispatch({ type: 'dialog', dialog: { kind: 'confirm', title, lines, answer: resolve } });
    });
  }

  /** Runs `work` as a background job with its progress in the store; refreshes `row` after. */
  private job(title: string, row: EnvRow | undefined, work: (hooks: JobHooks) => Promise<string>): void {
    void this.runJob(title, row, work);
  }

  private async runJob(
    title: string,
    row: EnvRow | undefined,
    work: (hooks: JobHooks) => Promise<string>,
  ): Promise<boolean> {
    const id = ++this.jobSerial;
    const cancel = new AbortController();
    this.cancels.set(id, cancel);
    const progress = new JobProgress();
    const show = (): void => {
      this.store.dispatch({
        type: 'job-lines',
        id,
        lines: progress.view(Math.max(20, this.store.getState().size.columns - 4)),
      });
    };
    const output = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.trim() !== '') progress.add({ type: 'build:output', line });
        show();
        done();
      },
    });
    this.store.dispatch({ type: 'job-start', job: { id, title, lines: [], cancel } });
    this.store.dispatch({ type: 'notice', notice: undefined });
    const hooks: JobHooks = {
      onEvent: (event) => {
        progress.add(event);
        show();
      },
      output,
      signal: cancel.signal,
      confirm: (question) => {
        const warning = progress.lastWarning();
        return this.confirm(title, [...(warning === undefined ? [] : [warning]), question]);
      },
    };
    try {
      const message = await work(hooks);
      this.store.dispatch({ type: 'notice', notice: { kind: 'info', text: message } });
      return true;
    } catch (error) {
      if (cancel.signal.aborted)
        this.store.dispatch({ type: 'notice', notice: { kind: 'info', text: `${title}: cancelled` } });
      else this.fail(error);
      return false;
    } finally {
      this.cancels.delete(id);
      this.store.dispatch({ type: 'job-end', id });
      if (row === undefined) await this.refresh();
      else await this.refreshRow(row);
    }
  }

  private async refreshRow(row: EnvRow): Promise<void> {
    try {
      this.store.dispatch({ type: 'row', key: row.key, row: await this.engine.inspect(row) });
    } catch (error) {
      this.fail(error);
    }
  }

  /** Shows an error on the status line: a devenv error as its message and hint, anything else as a bug. */
  private fail(error: unknown): void {
    const notice = isDevenvError(error)
      ? { kind: 'error' as const, text: error.message, hint: error.hint }
      : {
          kind: 'error' as const,
          text: `devenv hit a bug: ${error instanceof Error ? error.message : String(error)}`,
          hint: 'please report it',
        };
    this.store.dispatch({ type: 'notice', notice });
  }

  private cancelNewestJob(): boolean {
    const newest = [...this.cancels.values()].pop();
    newest?.abort(new InterruptedError('SIGINT'));
    return newest !== undefined;
  }

  private interrupt(): void {
    if (this.cancelNewestJob()) return;
    const now = this.options.now();
    if (now - this.interruptedAt < 2000) {
      this.options.onQuit();
      return;
    }
    this.interruptedAt = now;
    this.store.dispatch({
      type: 'notice',
      notice: { kind: 'info', text: 'press ctrl-c again (or q) to quit' },
    });
  }

  private quit(): void {
    const jobs = this.store.getState().jobs.length;
    if (jobs === 0) {
      this.options.onQuit();
      return;
    }
    void this.confirm('Quit', [
      `${jobs} job${jobs === 1 ? ' is' : 's are'} still running; quitting cancels ${jobs === 1 ? 'it' : 'them'}.`,
      'Quit anyway?',
    ]).then((yes) => {
      if (yes) this.options.onQuit();
    });
  }

  /** Attach or a new shell: start a stopped environment first, then hand the terminal over. */
  private async handOver(kind: 'attach' | 'shell', row: EnvRow): Promise<void> {
    if (
      !isRunning(row) &&
      !(await this.runJob(`start ${row.name}`, row, (hooks) => this.engine.start(row, hooks)))
    )
      return;
    const argv = kind === 'attach' ? this.engine.attachCommand(row) : this.engine.shellCommand(row);
    const banner =
      kind === 'attach'
        ? `devenv: attached to ${row.name} — detach: ctrl-p ctrl-q`
        : `devenv: a new shell in ${row.name} — exit to return`;
    const status = await this.withTerminalGiven(() => this.options.handover.run({ argv }, banner));
    const fresh = await this.engine.inspect(row).catch(() => undefined);
    this.store.dispatch({ type: 'row', key: row.key, row: fresh });
    const text =
      fresh !== undefined && isRunning(fresh)
        ? `${row.name}: ${kind === 'attach' ? 'detached; still running' : `shell exited (${status ?? '?'}); still running`}`
        : `${row.name}: exited (${fresh?.exitCode ?? status ?? '?'})`;
    this.store.dispatch({ type: 'notice', notice: { kind: 'info', text } });
  }

  private async edit(): Promise<void> {
    const line = this.engine.editCommand();
    if (line === undefined) {
      this.store.dispatch({
        type: 'notice',
        notice: {
          kind: 'error',
          text: 'there is no devenv.yml here to edit',
          hint: 'run devenv init to write one',
        },
      });
      return;
    }
    await this.withTerminalGiven(() =>
      this.options.handover.run({ shell: line }, 'devenv: editing devenv.yml'),
    );
    await this.refresh();
  }

  /** Suspends refreshes and input around a handover; a watch change that came meanwhile shows after. */
  private async withTerminalGiven<T>(run: () => Promise<T>): Promise<T | undefined> {
    this.store.dispatch({ type: 'suspended', suspended: true });
    this.options.changes.pause();
    try {
      return await run();
    } catch (error) {
      this.fail(error);
      return undefined;
    } finally {
      this.store.dispatch({ type: 'suspended', suspended: false });
      this.options.changes.resume();
      if (this.queuedChange !== undefined) {
        this.store.dispatch({ type: 'pending', change: this.queuedChange });
        this.queuedChange = undefined;
      }
    }
  }
}

/** True for a printable key (not an arrow or a control key). */
function isText(input: string, name: string): boolean {
  // eslint-disable-next-line no-control-regex -- control keys are not text
  return input.length > 0 && name === input && !/[\x00-\x1f\x7f]/.test(input);
}
