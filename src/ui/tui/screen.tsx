/**
 * The Ink side: one component tree that paints the store's state, and one input handler that hands
 * every key to the controller. All the deciding happens in plain functions (layout, views, key map).
 */
import { Box, Text, useInput } from 'ink';
import { memo, useRef, useSyncExternalStore } from 'react';
import type { ReactElement } from 'react';
import type { InkKey } from './keymap.js';
import { layoutOf } from './layout.js';
import type { Store, TuiState } from './store.js';
import { selectedRow } from './store.js';
import { cut, fitLine, width } from './text.js';
import type { Line } from './text.js';
import {
  bannerLine,
  dialogLines,
  headerLine,
  helpOverlay,
  hintLine,
  noticeLine,
  progressLines,
} from './view-chrome.js';
import { listLines } from './view-list.js';
import { detailLines, logsLines, planLines } from './view-panes.js';

/** Whether styles may use colour; without it selection and state still show as `›`, `●`, `○`. */
export interface Theme {
  colour: boolean;
}

const Row = memo(function Row({ line, theme }: { line: Line; theme: Theme }): ReactElement {
  return (
    <Text wrap="truncate-end">
      {line.map((s, i) => (
        <Text
          key={i}
          color={theme.colour ? s.color : undefined}
          bold={s.bold === true}
          inverse={theme.colour && s.inverse === true}
        >
          {s.text}
        </Text>
      ))}
    </Text>
  );
});

/** A bordered box of exactly `width` × `height` with a title in its top border. */
function Panel(props: {
  title: string;
  right?: string | undefined;
  width: number;
  height: number;
  lines: Line[];
  focused: boolean;
  theme: Theme;
}): ReactElement {
  const inner = Math.max(1, props.width - 2);
  const right = props.right === undefined ? '' : ` ${props.right} `;
  const title = cut(
    props.title === '' ? '┌' : `┌ ${props.title} `,
    Math.max(1, props.width - right.length - 1),
  );
  const top = title + '─'.repeat(Math.max(0, props.width - right.length - 1 - width(title)));
  const border = props.focused ? ('cyan' as const) : undefined;
  const frame = (text: string): Line => [{ text, color: border, bold: props.focused }];
  const body = props.lines.slice(0, Math.max(0, props.height - 2));
  while (body.length < props.height - 2) body.push([]);
  const lines: Line[] = [
    fitLine([...frame(top), { text: right, color: 'gray' }, ...frame('┐')], props.width),
    ...body.map((l) => fitLine([...frame('│'), ...fitLine(l, inner), ...frame('│')], props.width)),
    fitLine(frame(`└${'─'.repeat(inner)}┘`), props.width),
  ];
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      {lines.map((l, i) => (
        <Row key={i} line={l} theme={props.theme} />
      ))}
    </Box>
  );
}

const TABS = ['detail', 'logs', 'plan'] as const;

function tabsLabel(state: TuiState): string {
  return TABS.map((t) => (t === state.tab ? `[${t[0]?.toUpperCase() ?? ''}${t.slice(1)}]` : t)).join(' ');
}

function paneLines(state: TuiState, height: number): Line[] {
  const row = selectedRow(state);
  if (state.tab === 'logs') return logsLines(state.logs?.key === row?.key ? state.logs : undefined, height);
  if (state.tab === 'plan')
    return planLines(state.plan?.key === row?.key ? state.plan : undefined, height, 0);
  return detailLines(row, state.now);
}

/** The whole frame for one state (exported for tests that check it without a terminal). */
export function Frame({ state, theme }: { state: TuiState; theme: Theme }): ReactElement {
  const layout = layoutOf(state);
  const { columns } = layout;
  const inner = layout.bodyHeight - 2;
  const row = selectedRow(state);
  let body: ReactElement;
  if (state.help || state.dialog !== undefined) {
    const lines = state.help
      ? helpOverlay().slice(state.helpScroll)
      : dialogLines(state.dialog ?? { kind: 'confirm', title: '', lines: [], answer: () => undefined });
    const title = state.help ? 'Keys' : (state.dialog?.title ?? '');
    body = (
      <Panel title={title} width={columns} height={layout.bodyHeight} lines={lines} focused theme={theme} />
    );
  } else {
    const list = (
      <Panel
        title="Environments"
        right={state.filter === '' ? undefined : `/${state.filter}`}
        width={layout.listWidth}
        height={layout.bodyHeight}
        lines={listLines(state, layout.listWidth - 2, inner)}
        focused={state.focus === 'list'}
        theme={theme}
      />
    );
    const pane = (
      <Panel
        title={row === undefined ? '' : `${row.name}${row.mine ? ' (this project)' : ''}`}
        right={tabsLabel(state)}
        width={layout.paneWidth}
        height={layout.bodyHeight}
        lines={paneLines(state, inner)}
        focused={state.focus === 'pane'}
        theme={theme}
      />
    );
    body = layout.narrow ? (
      state.focus === 'list' ? (
        list
      ) : (
        pane
      )
    ) : (
      <Box flexDirection="row">
        {list}
        {pane}
      </Box>
    );
  }
  const extra: Line[] = [];
  if (layout.progressHeight === 1) extra.push(fitLine(progressLines(state.jobs, 1)[0] ?? [], columns));
  if (state.pendingChange !== undefined)
    extra.push(bannerLine(state.pendingChange, state.suspended, columns));
  if (state.notice !== undefined) extra.push(noticeLine(state.notice, columns));
  if (state.entry !== undefined)
    extra.splice(
      0,
      0,
      fitLine(
        [
          { text: state.entry.kind === 'filter' ? ' filter: ' : ' search: ', color: 'cyan' },
          { text: `${state.entry.text}▏` },
        ],
        columns,
      ),
    );
  return (
    <Box flexDirection="column" width={columns} height={layout.height}>
      <Row line={fitLine(headerLine(state, columns), columns)} theme={theme} />
      {body}
      {layout.progressHeight > 1 ? (
        <Panel
          title="Progress"
          width={columns}
          height={layout.progressHeight}
          lines={progressLines(state.jobs, layout.progressHeight - 2)}
          focused={false}
          theme={theme}
        />
      ) : null}
      {extra.map((l, i) => (
        <Row key={`x${i}`} line={fitLine(l, columns)} theme={theme} />
      ))}
      <Row line={hintLine(state, columns)} theme={theme} />
    </Box>
  );
}

/** The root: paints the store and sends keys to `onKey`; input is off while a child has the terminal. */
export function App(props: {
  store: Store;
  theme: Theme;
  onKey: (input: string, key: InkKey) => void;
}): ReactElement {
  const state = useSyncExternalStore(props.store.subscribe, props.store.getState);
  // One handler for the app's life: Ink re-subscribes a handler whose identity changes.
  const onKey = useRef(props.onKey);
  onKey.current = props.onKey;
  const handler = useRef((input: string, key: InkKey) => {
    onKey.current(input, key);
  });
  useInput(handler.current, { isActive: !state.suspended });
  return <Frame state={state} theme={props.theme} />;
}
