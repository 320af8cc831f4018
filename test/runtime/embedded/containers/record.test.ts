/**
 * The embedded runtime's container records on real files: what the runtime writes reads back the
 * same, and a damaged or forged file is refused with the file named, never half-trusted.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../../src/errors.js';
import {
  containerPaths,
  findConfig,
  newContainerId,
  readConfig,
  readState,
  writeConfig,
  writeState,
} from '../../../../src/runtime/embedded/containers/record.js';
import type { ContainerConfig, ContainerPaths } from '../../../../src/runtime/embedded/containers/record.js';
import { listContainers } from '../../../../src/runtime/embedded/containers/list.js';

let dir: string;
let paths: ContainerPaths;
const id = newContainerId();

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'devenv-record-'));
  paths = containerPaths(dir, id);
  await mkdir(paths.dir, { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config: ContainerConfig = {
  id,
  name: 'web',
  created: '2026-01-01T00:00:00.000Z',
  image: 'devenv/web:latest',
  imageId: `sha256:${'a'.repeat(64)}`,
  labels: { 'dev.devenv.name': 'web' },
  argv: ['/bin/sh'],
  env: ['PATH=/bin'],
  user: '',
  workdir: '/',
  hostname: 'web',
  network: 'host',
  ports: [],
  dns: [],
  mounts: [
    { type: 'bind', source: '/src', target: '/src', readonly: false },
    { type: 'volume', name: 'cache', target: '/cache', readonly: true },
  ],
  volumes: ['cache'],
  devices: [{ source: '/dev/bus/usb', target: '/dev/bus/usb', kind: 'tree' }],
  init: true,
  privileged: false,
  capabilities: ['CHOWN'],
  stopSignal: 'SIGTERM',
  autoRemove: false,
};

async function damaged(read: () => Promise<unknown>, file: string): Promise<DevenvError> {
  const error = await read().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DevenvError);
  expect((error as DevenvError).code).toBe('DEVENV_STORE');
  expect((error as DevenvError).message).toContain(`${file} is damaged`);
  return error as DevenvError;
}

describe('container records', () => {
  it('reads back what was written, dropping keys it does not know', async () => {
    await writeConfig(paths, config);
    expect(await readConfig(paths)).toEqual(config);
    await writeState(paths, { status: 'running', pid: 42, pidStart: '1234', ownNetwork: true });
    expect(await readState(paths)).toEqual({
      status: 'running',
      pid: 42,
      pidStart: '1234',
      ownNetwork: true,
    });
    await writeFile(paths.state, JSON.stringify({ status: 'exited', exitCode: 3, extra: 'x' }));
    expect(await readState(paths)).toEqual({ status: 'exited', exitCode: 3 });
    expect((await findConfig(dir, 'web'))?.id).toBe(id);
  });

  it('a missing state file means created; a missing config means no container', async () => {
    expect(await readState(paths)).toEqual({ status: 'created' });
    expect(await readConfig(paths)).toBeUndefined();
  });

  it('refuses a state file that is not JSON, or whose fields do not fit, naming the field', async () => {
    await writeFile(paths.state, '{"status": "running", "pid": 4');
    await damaged(() => readState(paths), paths.state);
    await writeFile(paths.state, JSON.stringify({ status: 'running', pid: '42; rm -rf /' }));
    expect((await damaged(() => readState(paths), paths.state)).message).toContain(
      'pid: expected an integer',
    );
    await writeFile(paths.state, JSON.stringify({ status: 'running', pid: 4.5 }));
    await damaged(() => readState(paths), paths.state);
    await writeFile(paths.state, JSON.stringify({ status: 'paused' }));
    expect((await damaged(() => readState(paths), paths.state)).message).toContain('status');
  });

  it('refuses a config with a forged id, an unknown mount type or a missing field', async () => {
    await writeFile(paths.config, JSON.stringify({ ...config, id: '../../etc' }));
    expect((await damaged(() => readConfig(paths), paths.config)).message).toContain('id: expected 64 hex');
    const mounts = [{ type: 'tmpfs', target: '/tmp', readonly: false }];
    await writeFile(paths.config, JSON.stringify({ ...config, mounts }));
    expect((await damaged(() => readConfig(paths), paths.config)).message).toContain('mounts[0]');
    const partial: Partial<ContainerConfig> = { ...config };
    delete partial.capabilities;
    await writeFile(paths.config, JSON.stringify(partial));
    expect((await damaged(() => readConfig(paths), paths.config)).message).toContain('capabilities');
    await writeFile(paths.config, JSON.stringify([config]));
    await damaged(() => readConfig(paths), paths.config);
  });

  it('lists the containers devenv made, each in its real state, and leaves others out', async () => {
    await writeConfig(paths, config);
    // A recorded "running" whose PID 1 is gone is listed as what it is: exited.
    await writeState(paths, {
      status: 'running',
      startedAt: '2026-01-01T00:00:01.000Z',
      pid: 2 ** 22 + 1,
      pidStart: '1',
      monitorPid: 2 ** 22 + 2,
      monitorStart: '1',
    });
    const run = containerPaths(dir, newContainerId());
    await mkdir(run.dir, { recursive: true });
    await writeConfig(run, {
      ...config,
      id: path.basename(run.dir),
      name: 'web-run-1',
      labels: { 'dev.devenv.run-of': 'web' },
    });
    const foreign = containerPaths(dir, newContainerId());
    await mkdir(foreign.dir, { recursive: true });
    await writeConfig(foreign, { ...config, id: path.basename(foreign.dir), name: 'not-ours', labels: {} });
    const listed = await listContainers(dir);
    expect(listed.map((c) => [c.name, c.state]).sort()).toEqual([
      ['web', 'exited'],
      ['web-run-1', 'created'],
    ]);
    expect(listed.find((c) => c.name === 'web')?.mounts).toEqual([
      { type: 'bind', source: '/src', target: '/src' },
      { type: 'volume', source: 'cache', target: '/cache', name: 'cache' },
    ]);
  });
});
