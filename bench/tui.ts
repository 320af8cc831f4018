/**
 * The TUI with 20 environments present (real ones: made by `devenv up -d` on the bench's dockerd,
 * then stopped), run on a pseudo-terminal as a person runs it:
 * - tui-first-frame: from spawning `devenv tui` to its first frame on the screen (the list's
 *   title), against `node -e` printing a line, measured the same way (Node's own start-up on a
 *   pty, the floor of any Node program); goal ≤ 300 ms. And to the first environment's name, when
 *   the list has come from the runtime, against `devenv ls` printing that list.
 * - tui-idle-cpu: CPU time of the TUI's process tree (its `docker events` child included) over 30 s
 *   of sitting open with nothing changing, as a share of one core, against an idle Node process.
 *   Goal: < 1 %.
 * Each run spawns devenv and the peer back to back, so a burst of load on the shared machine
 * falls on both.
 */
import { cpuTicks, processTree, startOnPty } from './lib/pty.js';
import { busyboxConfig, devenvArgv, makeProject, setup } from './lib/project.js';
import { median } from './lib/median.js';
import type { BenchContext, Row } from './lib/types.js';

const ENVIRONMENTS = 20;
/** The TUI's list title: on the screen from its first frame, before anything is listed. */
const HEADER = 'Environments';
const IDLE_SECONDS = 30;
/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** `tui-00` … `tui-19`: made once per dockerd (a rerun in the same bench run finds them). */
function names(): string[] {
  return Array.from({ length: ENVIRONMENTS }, (_, i) => `tui-${String(i).padStart(2, '0')}`);
}

/** Makes the 20 environments (four at a time), then stops them all. */
async function twentyEnvironments(ctx: BenchContext): Promise<void> {
  const existing = await setup(ctx, ['docker', 'ps', '-a', '--format', '{{.Label "dev.devenv.name"}}']);
  const missing = names().filter((name) => !existing.split('\n').includes(name));
  ctx.log(`making ${missing.length} of ${ENVIRONMENTS} environments`);
  for (let i = 0; i < missing.length; i += 4) {
    await Promise.all(
      missing.slice(i, i + 4).map(async (name) => {
        const project = await makeProject(ctx, name, {
          'devenv.yml': busyboxConfig(ctx, name, ['runtime: docker']),
        });
        await setup(ctx, devenvArgv(ctx, project, ['up', '-d']));
      }),
    );
  }
  await setup(ctx, ['docker', 'stop', '-t', '0', ...names()]);
}

function tuiArgv(ctx: BenchContext): string[] {
  return [process.execPath, ctx.cli, '--runtime', 'docker', 'tui'];
}

/** A Node program that prints `text` and then waits, as the TUI does after its first frame. */
function nodePeer(text: string): string[] {
  return [
    process.execPath,
    '-e',
    `process.stdout.write(${JSON.stringify(`${text}\n`)}); setInterval(() => {}, 1 << 30)`,
  ];
}

function terminalEnv(ctx: BenchContext): Record<string, string> {
  return { ...ctx.env, TERM: 'xterm-256color' };
}

/** Milliseconds from spawn to `text` on the pty. */
async function timeToText(argv: string[], env: Record<string, string>, text: string): Promise<number> {
  const program = startOnPty(argv, env);
  try {
    return await program.waitForText(text, 60_000);
  } finally {
    await program.stop();
  }
}

/** See the file comment. */
export async function firstFrame(ctx: BenchContext): Promise<Row[]> {
  await twentyEnvironments(ctx);
  const env = terminalEnv(ctx);
  const first = names()[0] ?? '';
  const figures = { frame: [] as number[], listed: [] as number[], ls: [] as number[], node: [] as number[] };
  for (let run = 0; run < ctx.warmup + ctx.runs; run += 1) {
    const tui = startOnPty(tuiArgv(ctx), env);
    let frame: number;
    let listed: number;
    try {
      frame = await tui.waitForText(HEADER, 60_000);
      listed = await tui.waitForText(first, 60_000);
    } finally {
      await tui.stop();
    }
    const ls = await timeToText([process.execPath, ctx.cli, '--runtime', 'docker', 'ls'], env, first);
    const node = await timeToText(nodePeer(first), env, first);
    ctx.log(
      `run ${run + 1}: first frame ${frame.toFixed(0)} ms, listed ${listed.toFixed(0)} ms, devenv ls ${ls.toFixed(0)} ms, node ${node.toFixed(0)} ms`,
    );
    if (run < ctx.warmup) continue;
    figures.frame.push(frame);
    figures.listed.push(listed);
    figures.ls.push(ls);
    figures.node.push(node);
  }
  const peer = 'node -e (print a line) on the same pty';
  return [
    {
      benchmark: 'first frame (goal ≤ 300 ms)',
      devenvMs: median(figures.frame),
      peer,
      peerMs: median(figures.node),
    },
    {
      benchmark: `${ENVIRONMENTS} environments listed`,
      devenvMs: median(figures.listed),
      peer: '`devenv ls` printing the same list',
      peerMs: median(figures.ls),
    },
  ];
}

/** Share of one core (percent) used by `argv`'s process tree over IDLE_SECONDS, once `text` shows. */
async function idleCpu(argv: string[], env: Record<string, string>, text: string): Promise<number> {
  const program = startOnPty(argv, env);
  try {
    await program.waitForText(text, 60_000);
    // Let start-up work (the first listing, the event stream connecting) finish first.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const script = program.child.pid ?? 0;
    // script → the program (sh exec'd it); everything below the program is its own doing.
    const tree = () => processTree(script).slice(1);
    const ticks = () => tree().reduce((sum, pid) => sum + cpuTicks(pid), 0);
    const before = ticks();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const used = (ticks() - before) / TICKS_PER_SECOND;
    return (100 * used) / ((performance.now() - started) / 1000);
  } finally {
    await program.stop();
  }
}

/** See the file comment. */
export async function idle(ctx: BenchContext): Promise<Row[]> {
  await twentyEnvironments(ctx);
  const env = terminalEnv(ctx);
  const first = names()[0] ?? '';
  const devenv: number[] = [];
  const peer: number[] = [];
  for (let run = 0; run < ctx.runs; run += 1) {
    devenv.push(await idleCpu(tuiArgv(ctx), env, first));
    peer.push(await idleCpu(nodePeer(first), env, first));
    ctx.log(`run ${run + 1}: devenv tui ${devenv.at(-1)?.toFixed(2)} %, node ${peer.at(-1)?.toFixed(2)} %`);
  }
  return [
    {
      benchmark: `CPU while idle ${IDLE_SECONDS} s, ${ENVIRONMENTS} environments (goal < 1 %)`,
      devenvMs: median(devenv),
      peer: 'node with an idle timer on the same pty',
      peerMs: median(peer),
      unit: '%',
    },
  ];
}
