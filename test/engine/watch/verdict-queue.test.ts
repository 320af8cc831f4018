/** The verdict queue: one verdict at a time, the latest waiting one wins, nothing while held. */
import { describe, expect, it } from 'vitest';
import { VerdictQueue } from '../../../src/engine/watch/index.js';
import type { WatchVerdict } from '../../../src/engine/watch/index.js';

const none = (file: string): WatchVerdict => ({ kind: 'none', paths: [file] });
const rebuild = (file: string): WatchVerdict => ({
  kind: 'rebuild',
  summary: `${file} changed`,
  paths: [file],
});

/** A handler that records each verdict and finishes only when the test lets it. */
function gatedHandler() {
  const seen: string[] = [];
  const gates: (() => void)[] = [];
  const handle = (verdict: WatchVerdict) =>
    new Promise<void>((resolve) => {
      seen.push(`${verdict.kind} ${verdict.paths.join(',')}`);
      gates.push(resolve);
    });
  const openNext = async () => {
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { seen, handle, openNext };
}

describe('VerdictQueue', () => {
  it('handles one verdict at a time, and of those that waited only the latest', async () => {
    const h = gatedHandler();
    const queue = new VerdictQueue(h.handle);
    queue.push(none('a'));
    queue.push(rebuild('b'));
    queue.push(none('c'));
    expect(h.seen).toEqual(['none a']);
    await h.openNext();
    expect(h.seen).toEqual(['none a', 'none c']);
    await h.openNext();
    await queue.idle();
    expect(queue.pending).toBe(false);
  });

  it('holds verdicts while the user is attached and shows the latest once released', async () => {
    const h = gatedHandler();
    const queue = new VerdictQueue(h.handle);
    queue.hold();
    queue.push(none('a'));
    queue.push(rebuild('b'));
    expect(h.seen).toEqual([]);
    expect(queue.pending).toBe(true);
    queue.release();
    expect(h.seen).toEqual(['rebuild b']);
    await h.openNext();
    await queue.idle();
  });

  it('goes on after a handler fails', async () => {
    const seen: string[] = [];
    const queue = new VerdictQueue((verdict) => {
      seen.push(verdict.kind);
      return verdict.kind === 'rebuild' ? Promise.reject(new Error('build failed')) : Promise.resolve();
    });
    queue.push(rebuild('a'));
    await queue.idle();
    queue.push(none('b'));
    await queue.idle();
    expect(seen).toEqual(['rebuild', 'none']);
  });
});
