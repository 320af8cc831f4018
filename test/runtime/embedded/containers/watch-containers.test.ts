/**
 * The embedded runtime's change source on real files: records written the way the runtime writes
 * them (atomic renames), folders created and removed, and a real process standing in for a
 * container's PID 1 and monitor, killed without anyone updating its state file.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStart } from '../../../../src/runtime/embedded/containers/liveness.js';
import {
  containerPaths,
  newContainerId,
  writeConfig,
  writeState,
} from '../../../../src/runtime/embedded/containers/record.js';
import type { ContainerConfig } from '../../../../src/runtime/embedded/containers/record.js';
import { watchContainers } from '../../../../src/runtime/embedded/containers/watch-containers.js';
import { waitFor } from '../../../helpers/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves once `seen` has not grown for a second: every late event of earlier writes is in. */
async function quiet(seen: readonly unknown[]): Promise<void> {
  let count = -1;
  let since = Date.now();
  await waitFor(() => {
    if (seen.length !== count) {
      count = seen.length;
      since = Date.now();
    }
    return Date.now() - since >= 1_000;
  }, 'the watch to settle');
}

function configOf(id: string, name: string): ContainerConfig {
  return {
    id,
    name,
    created: new Date(0).toISOString(),
    image: 'busybox',
    imageId: `sha256:${'0'.repeat(64)}`,
    labels: { 'dev.devenv.name': name },
    argv: ['sh'],
    env: [],
    user: '',
    workdir: '/',
    hostname: name,
    network: 'none',
    ports: [],
    dns: [],
    mounts: [],
    volumes: [],
    devices: [],
    init: false,
    privileged: false,
    capabilities: [],
    stopSignal: 'SIGTERM',
    autoRemove: false,
  };
}

/** A containers/ folder and a running watch of it that records every name reported. */
async function watched(options: { create?: boolean } = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'devenv-watch-'));
  const dir = path.join(root, 'containers');
  if (options.create !== false) await mkdir(dir);
  const seen: (string | undefined)[] = [];
  const controller = new AbortController();
  const done = watchContainers(dir, controller.signal, (name) => seen.push(name), 100);
  cleanups.push(async () => {
    controller.abort();
    await done;
    await rm(root, { recursive: true, force: true });
  });
  // Let the first scan finish before the test changes anything.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { dir, seen, controller, done };
}

async function addContainer(dir: string, name: string): Promise<string> {
  const id = newContainerId();
  const paths = containerPaths(dir, id);
  await mkdir(paths.dir);
  await writeConfig(paths, configOf(id, name));
  return id;
}

describe('watchContainers', () => {
  it('reports a container created, started by a state rewrite, and removed', async () => {
    const { dir, seen } = await watched();
    const id = await addContainer(dir, 'api');
    await waitFor(() => seen.includes('api'), 'the new container', 10_000);

    seen.length = 0;
    const paths = containerPaths(dir, id);
    await writeState(paths, { status: 'exited', exitCode: 0 });
    await waitFor(() => seen.includes('api'), 'the first state file', 10_000);
    // The watch is re-armed after each atomic rename: a second and third rewrite are seen too.
    for (const exitCode of [1, 2]) {
      seen.length = 0;
      await writeState(paths, { status: 'exited', exitCode });
      await waitFor(() => seen.includes('api'), `state rewrite ${exitCode}`, 10_000);
    }

    seen.length = 0;
    await rm(paths.dir, { recursive: true });
    await waitFor(() => seen.includes('api'), 'the removal', 10_000);
  });

  it('reports nothing while nothing changes, and nothing for containers that were there at the start', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'devenv-watch-'));
    const dir = path.join(root, 'containers');
    await mkdir(dir);
    const id = await addContainer(dir, 'quiet');
    await writeState(containerPaths(dir, id), { status: 'exited', exitCode: 0 });
    const seen: (string | undefined)[] = [];
    const controller = new AbortController();
    const done = watchContainers(dir, controller.signal, (name) => seen.push(name), 50);
    await new Promise((resolve) => setTimeout(resolve, 600));
    controller.abort();
    await done;
    await rm(root, { recursive: true, force: true });
    expect(seen).toEqual([]);
  });

  it('reports a running container whose process dies without writing its state, once', async () => {
    const { dir, seen } = await watched();
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    const pid = child.pid ?? 0;
    await waitFor(() => processStart(pid) !== undefined, 'the stand-in process', 10_000);
    const start = processStart(pid);
    const id = await addContainer(dir, 'crashy');
    await writeState(containerPaths(dir, id), {
      status: 'running',
      pid,
      pidStart: start,
      monitorPid: pid,
      monitorStart: start,
    });
    await waitFor(() => seen.includes('crashy'), 'the running container', 10_000);
    // The folder, config and state writes each wake the watch; on a busy machine their events can
    // come in late. Let them all land before counting.
    await quiet(seen);
    // Alive: several polls go by without a report.
    seen.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen).toEqual([]);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await waitFor(() => seen.includes('crashy'), 'the dead monitor', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen.filter((name) => name === 'crashy')).toHaveLength(1);
  });

  it('starts watching a containers folder that appears later', async () => {
    const { dir, seen } = await watched({ create: false });
    await mkdir(dir);
    await addContainer(dir, 'late');
    await waitFor(() => seen.includes('late'), 'a container in the new folder', 10_000);
  });

  it('resolves when the signal aborts', async () => {
    const { controller, done } = await watched();
    controller.abort();
    await expect(done).resolves.toBeUndefined();
  });
});
