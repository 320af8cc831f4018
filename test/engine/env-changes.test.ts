/**
 * watchEnvironmentChanges over small runtimes that report what a test tells them to: coalescing,
 * the poll of a runtime that cannot report, the safety refresh, and environment folders in the
 * state folder (real files).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchEnvironmentChanges } from '../../src/engine/env-changes.js';
import type { EnvironmentChange } from '../../src/engine/env-changes.js';
import type { ContainerChangeSink, RuntimeName } from '../../src/runtime/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A runtime whose change source is `emit`, and which records whether it was stopped. */
function reportingRuntime(name: RuntimeName) {
  const runtime = {
    name,
    emit: ((): void => undefined) as ContainerChangeSink,
    stopped: false,
    watchChanges(signal: AbortSignal, onChange: ContainerChangeSink): Promise<void> {
      runtime.emit = onChange;
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          runtime.stopped = true;
          resolve();
        });
      });
    },
  };
  return runtime;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function started(
  runtimes: Parameters<typeof watchEnvironmentChanges>[0]['runtimes'],
  timings: Parameters<typeof watchEnvironmentChanges>[0]['timings'],
) {
  const stateHome = await mkdtemp(path.join(tmpdir(), 'devenv-changes-'));
  await mkdir(path.join(stateHome, 'envs'));
  const changes: EnvironmentChange[] = [];
  const controller = new AbortController();
  const done = watchEnvironmentChanges({
    runtimes,
    stateHome,
    signal: controller.signal,
    onChange: (change) => changes.push(change),
    timings,
  });
  cleanups.push(async () => {
    controller.abort();
    await done;
    await rm(stateHome, { recursive: true, force: true });
  });
  return { stateHome, changes, controller, done };
}

describe('watchEnvironmentChanges', () => {
  it('coalesces a burst into one change per name, and "all" swallows the names', async () => {
    const docker = reportingRuntime('docker');
    const { changes } = await started([docker], { coalesceMs: 100 });
    for (let i = 0; i < 5; i += 1) docker.emit('api');
    docker.emit('web');
    await waitFor(() => changes.length >= 2, 'the coalesced changes', 5_000);
    await sleep(200);
    expect(changes).toEqual([
      { runtime: 'docker', name: 'api' },
      { runtime: 'docker', name: 'web' },
    ]);

    changes.length = 0;
    docker.emit('api');
    docker.emit(undefined);
    await waitFor(() => changes.length >= 1, 'the full refresh', 5_000);
    await sleep(200);
    expect(changes).toEqual([{ runtime: 'docker', name: undefined }]);
  });

  it('polls a runtime that cannot report, and refreshes every runtime now and then', async () => {
    const docker = reportingRuntime('docker');
    const { changes } = await started([docker, { name: 'embedded' }], {
      coalesceMs: 10,
      pollMs: 100,
      safetyRefreshMs: 400,
    });
    await sleep(900);
    const embedded = changes.filter((change) => change.runtime === 'embedded');
    const dockers = changes.filter((change) => change.runtime === 'docker');
    expect(embedded.length).toBeGreaterThanOrEqual(4);
    expect(embedded.every((change) => change.name === undefined)).toBe(true);
    expect(dockers.length).toBeGreaterThanOrEqual(1);
    expect(dockers.length).toBeLessThanOrEqual(3);
  });

  it('reports an environment folder that appears or goes, on every runtime', async () => {
    const docker = reportingRuntime('docker');
    const { stateHome, changes } = await started([docker, { name: 'embedded' }], { coalesceMs: 10 });
    await mkdir(path.join(stateHome, 'envs', 'fresh'));
    await waitFor(() => changes.length >= 2, 'the new folder', 5_000);
    expect(changes).toContainEqual({ runtime: 'docker', name: 'fresh' });
    expect(changes).toContainEqual({ runtime: 'embedded', name: 'fresh' });
  });

  it('stops every source on abort and reports nothing after it', async () => {
    const docker = reportingRuntime('docker');
    const { changes, controller, done } = await started([docker], { coalesceMs: 100 });
    docker.emit('api');
    controller.abort();
    await done;
    expect(docker.stopped).toBe(true);
    docker.emit('web');
    await sleep(250);
    expect(changes).toEqual([]);
  });
});
