/** The right-hand panes as lines: detail, logs (sliced before render) and plan. */
import type { EnvRow } from './model.js';
import { isRunning } from './model.js';
import { driftTag, stateGlyph } from './view-list.js';
import type { LogsState } from './store.js';
import { age, plain } from './text.js';
import type { Line } from './text.js';

function field(name: string, value: string): Line {
  return [{ text: name.padEnd(8), color: 'cyan' }, { text: value }];
}

/** Image, drift explained, state, mounts, ports, devices and volumes of one environment. */
export function detailLines(row: EnvRow | undefined, now: number): Line[] {
  if (row === undefined) return [plain('no environment selected')];
  const { glyph, word } = stateGlyph(row);
  const since =
    isRunning(row) && row.startedAt !== undefined ? ` ${age(now - Date.parse(row.startedAt))}` : '';
  const exited = row.state === 'exited' && row.exitCode !== undefined ? ` (exit ${row.exitCode})` : '';
  const binds = row.mounts.filter((m) => m.type !== 'volume');
  const volumes = row.mounts.filter((m) => m.type === 'volume');
  const tag = driftTag(row);
  return [
    field('state', `${glyph} ${word}${since}${exited} · ${row.runtime}`),
    field('image', row.image || '(none)'),
    field('drift', `${tag === '' ? '' : `${tag} `}${row.drift.summary}`),
    ...row.drift.changes.map((c) => field('', `· ${c}`)),
    field('project', row.project ?? '(unknown)'),
    ...(binds.length === 0
      ? [field('mounts', '-')]
      : binds.map((m, i) => field(i === 0 ? 'mounts' : '', `${m.source} → ${m.target}`))),
    field('ports', row.ports.join(', ') || '-'),
    field('devices', row.devices.join(', ') || '-'),
    field('volumes', volumes.map((m) => `${m.source} → ${m.target}`).join(', ') || '-'),
  ];
}

/** The logs pane: a status line, then the lines that fit, with matches of the search marked. */
export function logsLines(logs: LogsState | undefined, height: number): Line[] {
  if (logs === undefined) return [plain('no logs yet')];
  const all = logs.buffer.all();
  const body = Math.max(1, height - 1);
  const end = logs.follow ? all.length : Math.max(0, all.length - logs.scroll);
  const shown = all.slice(Math.max(0, end - body), end);
  const search = logs.search.toLowerCase();
  const matches = search === '' ? 0 : all.filter((l) => l.toLowerCase().includes(search)).length;
  const status: Line = [
    {
      text: `${logs.follow ? 'following' : 'paused'} · ${all.length} lines${search === '' ? '' : ` · /${logs.search} ${matches} match${matches === 1 ? '' : 'es'}`}`,
      color: 'gray',
    },
  ];
  return [
    status,
    ...shown.map((line): Line =>
      search !== '' && line.toLowerCase().includes(search)
        ? [
            { text: '» ', color: 'yellow' },
            { text: line, bold: true },
          ]
        : plain(line),
    ),
  ];
}

/** The plan pane: what changed, the generated Dockerfile and the run flags. */
export function planLines(plan: { lines: string[] } | undefined, height: number, scroll: number): Line[] {
  if (plan === undefined) return [plain('planning…')];
  return plan.lines
    .slice(scroll, scroll + height)
    .map((l) => (l.startsWith('#') ? [{ text: l, color: 'gray' }] : plain(l)));
}
