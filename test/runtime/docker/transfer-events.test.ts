/**
 * The docker CLI's pull and push output without a terminal (a status line per layer change, no
 * byte counts) as runtime events, and the byte counter the Docker save and load stream through.
 */
import { describe, expect, it } from 'vitest';
import { countBytes } from '../../../src/runtime/byte-events.js';
import { transferEvents } from '../../../src/runtime/docker/docker-runtime.js';
import type { RuntimeEvent } from '../../../src/runtime/events.js';

function eventsOf(lines: readonly string[], kind: 'pull' | 'push'): RuntimeEvent[] {
  const events: RuntimeEvent[] = [];
  for (const line of lines) transferEvents(line, kind, (e) => events.push(e));
  return events;
}

describe('docker pull/push lines', () => {
  it('pull: each layer started, downloaded, verified and extracted; one already there', () => {
    const events = eventsOf(
      [
        '12: Pulling from library/debian',
        '3f4ca61aafcd: Already exists',
        'a1b2c3d4e5f6: Pulling fs layer',
        'a1b2c3d4e5f6: Verifying Checksum',
        'a1b2c3d4e5f6: Download complete',
        'a1b2c3d4e5f6: Pull complete',
        'Digest: sha256:0123',
        'Status: Downloaded newer image for debian:12',
      ],
      'pull',
    );
    expect(events).toEqual([
      { type: 'transfer:done', id: '3f4ca61aafcd', phase: 'download', skipped: true },
      { type: 'transfer:progress', id: 'a1b2c3d4e5f6', phase: 'download', current: 0 },
      { type: 'transfer:progress', id: 'a1b2c3d4e5f6', phase: 'verify', current: 0 },
      { type: 'transfer:done', id: 'a1b2c3d4e5f6', phase: 'download' },
      { type: 'transfer:done', id: 'a1b2c3d4e5f6', phase: 'extract' },
    ]);
  });

  it('push: uploaded, mounted or already there', () => {
    const events = eventsOf(
      [
        'The push refers to repository [localhost:5000/app]',
        '5f70bf18a086: Preparing',
        '5f70bf18a086: Pushed',
        '0b7cd1b2a1f3: Mounted from library/debian',
        '9c27e219663c: Layer already exists',
        '1: digest: sha256:abcd size: 527',
      ],
      'push',
    );
    expect(events).toEqual([
      { type: 'transfer:progress', id: '5f70bf18a086', phase: 'upload', current: 0 },
      { type: 'transfer:done', id: '5f70bf18a086', phase: 'upload' },
      { type: 'transfer:done', id: '0b7cd1b2a1f3', phase: 'upload', skipped: true },
      { type: 'transfer:done', id: '9c27e219663c', phase: 'upload', skipped: true },
    ]);
  });
});

describe('countBytes', () => {
  it('reports at most every interval, then the exact total and done, passing every byte on', async () => {
    const events: RuntimeEvent[] = [];
    let now = 0;
    const counted = countBytes('archive', 'read', (e) => events.push(e), { total: 10_000, now: () => now });
    let received = 0;
    counted.on('data', (chunk: Buffer) => (received += chunk.length));
    for (let i = 0; i < 10; i++) {
      now += 100;
      counted.write(Buffer.alloc(1000, 1));
    }
    await new Promise((resolve) => counted.end(resolve));
    expect(received).toBe(10_000);
    const progress = events.filter((e) => e.type === 'transfer:progress');
    // Every 250 ms of a second: at 300, 600 and 900 ms, then the final count.
    expect(progress.map((e) => e.current)).toEqual([3000, 6000, 9000, 10_000]);
    expect(progress.every((e) => e.total === 10_000)).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'transfer:done', id: 'archive', phase: 'read' });
  });
});
