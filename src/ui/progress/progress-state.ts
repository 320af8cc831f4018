/**
 * The progress model every live front end shares: runtime events folded into the jobs under way,
 * each with its current build step and its bytes per layer or file, plus the last lines finished.
 * Pure (the clock comes in as `now`), so the terminal area and the TUI's pane draw the same thing
 * and tests drive it with a fake clock.
 */
import type { BytePhase, JobKind, RuntimeEvent } from '../../runtime/events.js';
import { fitLine, formatBytes, formatClock, formatRate, progressBar } from './format.js';

/** How far back the transfer rate looks: an exponential average with this time constant. */
const RATE_WINDOW_MS = 3000;
/** How many finished lines the state keeps. */
const FINISHED_KEPT = 5;

/** The build step running now. */
export interface StepProgress {
  step: number;
  total: number;
  instruction: string;
  startedAt: number;
}

/** One layer, blob or archive moving. */
export interface BytesProgress {
  id: string;
  phase: BytePhase;
  current: number;
  total: number | undefined;
  done: boolean;
}

/** One job under way; events outside any job go to a job without a kind. */
export interface JobProgress {
  kind: JobKind | undefined;
  label: string;
  startedAt: number;
  step: StepProgress | undefined;
  /** By id, in the order they first appeared. */
  bytes: Readonly<Record<string, BytesProgress>>;
  /** Bytes per second over all of the job's transfers, averaged over about three seconds. */
  rate: number;
  /** When the rate was last updated, and bytes seen since (a burst within one millisecond). */
  rateAt: number;
  pendingBytes: number;
}

export interface ProgressState {
  /** Jobs under way, oldest first. */
  jobs: readonly JobProgress[];
  /** The last lines finished (steps, jobs), oldest first, at most five. */
  finished: readonly string[];
}

/** No job under way, nothing finished. */
export function emptyProgress(): ProgressState {
  return { jobs: [], finished: [] };
}

function newJob(kind: JobKind | undefined, label: string, now: number): JobProgress {
  return { kind, label, startedAt: now, step: undefined, bytes: {}, rate: 0, rateAt: now, pendingBytes: 0 };
}

/** The job events go to: the newest one under way, or a job without a kind made for them. */
function current(state: ProgressState, now: number): { job: JobProgress; index: number } {
  const index = state.jobs.length - 1;
  const job = state.jobs[index];
  return job === undefined ? { job: newJob(undefined, '', now), index: 0 } : { job, index };
}

function replaceJob(state: ProgressState, index: number, job: JobProgress): ProgressState {
  const jobs = [...state.jobs];
  jobs[index] = job;
  return { ...state, jobs };
}

function finish(state: ProgressState, line: string): readonly string[] {
  return [...state.finished, line].slice(-FINISHED_KEPT);
}

/** Folds `moved` more bytes into the job's rate at `now`. */
function withRate(job: JobProgress, moved: number, now: number): JobProgress {
  const elapsed = now - job.rateAt;
  if (elapsed <= 0) return { ...job, pendingBytes: job.pendingBytes + moved };
  const instant = ((job.pendingBytes + moved) * 1000) / elapsed;
  const weight = 1 - Math.exp(-elapsed / RATE_WINDOW_MS);
  const rate = job.rate === 0 ? instant : job.rate + weight * (instant - job.rate);
  return { ...job, rate, rateAt: now, pendingBytes: 0 };
}

/** The state after `event` at time `now`; `state` is left as it was. */
export function reduceProgress(state: ProgressState, event: RuntimeEvent, now: number): ProgressState {
  switch (event.type) {
    case 'job:start':
      return { ...state, jobs: [...state.jobs, newJob(event.kind, event.label, now)] };
    case 'job:end': {
      const index = state.jobs.findLastIndex((j) => j.kind === event.kind && j.label === event.label);
      const job = state.jobs[index];
      if (job === undefined) return state;
      const took = formatClock(now - job.startedAt);
      const line = event.ok
        ? `${event.kind} ${event.label}: done in ${took}`
        : `${event.kind} ${event.label}: failed after ${took}: ${event.message}`;
      return { jobs: state.jobs.filter((_, i) => i !== index), finished: finish(state, line) };
    }
    case 'build:step': {
      const { job, index } = current(state, now);
      const at = `step ${event.step}/${event.total}`;
      if (event.cached === true)
        return {
          ...replaceJob(state, index, { ...job, step: undefined }),
          finished: finish(state, `${at} ${event.instruction} (cached)`),
        };
      const step = { step: event.step, total: event.total, instruction: event.instruction, startedAt: now };
      return replaceJob(state, index, { ...job, step });
    }
    case 'build:step-end': {
      const { job, index } = current(state, now);
      const instruction = job.step?.step === event.step ? ` ${job.step.instruction}` : '';
      const line = `step ${event.step}/${event.total}${instruction} ${formatClock(event.ms)}`;
      return { ...replaceJob(state, index, { ...job, step: undefined }), finished: finish(state, line) };
    }
    case 'transfer:progress': {
      const { job, index } = current(state, now);
      const before = job.bytes[event.id];
      const moved = Math.max(0, event.current - (before?.current ?? 0));
      const bytes: BytesProgress = {
        id: event.id,
        phase: event.phase,
        current: event.current,
        total: event.total ?? before?.total,
        done: false,
      };
      const updated = withRate({ ...job, bytes: { ...job.bytes, [event.id]: bytes } }, moved, now);
      return replaceJob(state, index, updated);
    }
    case 'transfer:done': {
      const { job, index } = current(state, now);
      const before = job.bytes[event.id];
      const total = before?.total;
      const bytes: BytesProgress = {
        id: event.id,
        phase: event.phase,
        current: total ?? before?.current ?? 0,
        total,
        done: true,
      };
      return replaceJob(state, index, { ...job, bytes: { ...job.bytes, [event.id]: bytes } });
    }
    case 'build:output':
    case 'info':
    case 'warning':
      return state;
  }
}

/** `pull layer 3/5 41.2/96.0 MB ███████░░░ 43% 8.1 MB/s ETA 7s`, or undefined with no bytes. */
function bytesLine(job: JobProgress, width: number): string | undefined {
  const items = Object.values(job.bytes);
  if (items.length === 0 || items.every((b) => b.done)) return undefined;
  const done = items.filter((b) => b.done).length;
  const moving = items.find((b) => !b.done);
  const phase = moving?.phase ?? 'download';
  const noun = job.kind === 'pull' || job.kind === 'push' ? 'layer' : phase;
  const head = `${job.kind ?? phase} ${noun}${items.length > 1 ? ` ${Math.min(done + 1, items.length)}/${items.length}` : ''}`;
  const current = items.reduce((sum, b) => sum + b.current, 0);
  const known = items.every((b) => b.total !== undefined);
  const total = known ? items.reduce((sum, b) => sum + (b.total ?? 0), 0) : undefined;
  const rate = job.rate > 0 ? formatRate(job.rate) : undefined;
  if (total === undefined || total === 0)
    return fitLine(
      [head, formatBytes(current), rate].filter((p) => p !== undefined),
      width,
    );
  const fraction = Math.min(1, current / total);
  const eta = job.rate > 0 ? `ETA ${formatClock(((total - current) * 1000) / job.rate, true)}` : undefined;
  const amount = formatBytes(current, total);
  const parts = [head, amount, progressBar(fraction, 10), `${Math.floor(fraction * 100)}%`, rate, eta];
  return fitLine(
    parts.filter((p) => p !== undefined),
    width,
  );
}

/** `step 4/9 RUN apt-get install -y jq   00:42`: the instruction shortened to leave the clock. */
function stepLine(step: StepProgress, width: number, now: number): string {
  const clock = formatClock(now - step.startedAt);
  const head = `step ${step.step}/${step.total} `;
  const room = width - head.length - clock.length - 3;
  const instruction =
    step.instruction.length <= room
      ? step.instruction
      : `${step.instruction.slice(0, Math.max(0, room - 1)).trimEnd()}…`;
  return fitLine([`${head}${instruction}  `, clock], width);
}

/**
 * The lines that show `state` at `now`, none wider than `width`, plain text: the finished lines, then
 * per job under way its name and time, the step running and the bytes moving.
 */
export function progressLines(state: ProgressState, width: number, now: number): string[] {
  const lines = state.finished.map((line) => fitLine([line], width));
  for (const job of state.jobs) {
    if (job.kind !== undefined)
      lines.push(fitLine([`${job.kind} ${job.label}`, formatClock(now - job.startedAt)], width));
    if (job.step !== undefined) lines.push(stepLine(job.step, width, now));
    const bytes = bytesLine(job, width);
    if (bytes !== undefined) lines.push(bytes);
  }
  return lines;
}
