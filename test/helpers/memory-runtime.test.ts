/**
 * The in-memory runtime refuses what Docker refuses where the engine depends on it, so an engine test
 * that passes on it cannot rely on a leniency the real runtimes do not have.
 */
import { describe, expect, it } from 'vitest';
import type { RunSpec } from '../../src/plan/types.js';
import { MemoryRuntime } from './memory-runtime.js';

function spec(name: string, extra: Partial<RunSpec> = {}): RunSpec {
  return {
    name,
    image: 'base:1',
    hostname: name,
    env: { A: '1' },
    secretEnv: {},
    mounts: [{ type: 'volume', name: `${name}-data`, target: '/data', readonly: false }],
    devices: { usb: false, gpu: false, paths: [] },
    network: 'none',
    ports: [],
    dns: [],
    init: false,
    privileged: false,
    persist: true,
    shell: '/bin/sh',
    hooks: { create: [], start: [] },
    labels: { 'dev.devenv.name': name },
    ...extra,
  };
}

async function fails(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: expect.stringMatching(/^DEVENV_/) as unknown });
  return (error as Error).message;
}

describe('the in-memory runtime', () => {
  it('refuses a second container of one name and an image that does not exist', async () => {
    const runtime = new MemoryRuntime();
    runtime.addImage('base:1', { labels: { from: 'image' } });
    const created = await runtime.createContainer(spec('one'), undefined);
    expect(created.labels).toEqual({ from: 'image', 'dev.devenv.name': 'one' });
    expect(await fails(runtime.createContainer(spec('one'), undefined))).toContain('is already in use');
    expect(await fails(runtime.createContainer(spec('two', { image: 'nope:1' }), undefined))).toContain(
      'image nope:1 does not exist',
    );
  });

  it('removes a running container only with force; exec needs it running', async () => {
    const runtime = new MemoryRuntime();
    runtime.addImage('base:1');
    await runtime.createContainer(spec('run'), undefined);
    expect(await fails(runtime.exec('run', ['true'], { tty: false, interactive: false }))).toContain(
      'is not running',
    );
    await runtime.startContainer('run');
    expect(await fails(runtime.removeContainer('run', { force: false }))).toContain(
      'cannot remove a running container',
    );
    await runtime.removeContainer('run', { force: true });
    expect(await runtime.inspectContainer('run')).toBeUndefined();
  });

  it('keeps an image a container uses or that has children, and a volume in use', async () => {
    const runtime = new MemoryRuntime();
    runtime.addImage('base:1');
    await runtime.createContainer(spec('user'), undefined);
    expect(await fails(runtime.removeImage('base:1', { force: false }))).toContain(
      'is using its referenced image',
    );
    runtime.writeFile('user', '/made', 'inside');
    const committed = await runtime.commit('user', {
      tag: 'kept:1',
      entrypoint: null,
      cmd: null,
      dropEnv: ['A'],
    });
    expect(committed.env).not.toContain('A=1');
    await runtime.removeContainer('user', { force: true });
    const base = await runtime.inspectImage('base:1');
    expect(await fails(runtime.removeImage(base?.id ?? '', { force: true }))).toContain(
      'dependent child images',
    );
    expect(await fails(runtime.removeVolume('nope'))).toContain('no such volume');
    await runtime.createContainer(spec('again', { image: 'kept:1' }), undefined);
    expect(runtime.readFile('again', '/made')).toBe('inside');
    expect(await fails(runtime.removeVolume('again-data'))).toContain('volume is in use');
  });

  it('a container made without persist goes when it stops, as docker run --rm does', async () => {
    const runtime = new MemoryRuntime();
    runtime.addImage('base:1');
    await runtime.createContainer(spec('gone', { persist: false }), undefined);
    await runtime.startContainer('gone');
    await runtime.stopContainer('gone');
    expect(await runtime.inspectContainer('gone')).toBeUndefined();
  });
});
