/** The runtime precedence (flag > devenv.yml > recorded > settings > auto) and the record itself. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseRuntime } from '../../src/runtime/factory.js';
import {
  readRuntimeRecord,
  removeRuntimeRecord,
  writeRuntimeRecord,
} from '../../src/runtime/runtime-record.js';

describe('chooseRuntime', () => {
  it('takes the flag over everything', () => {
    expect(
      chooseRuntime({ flag: 'docker', config: 'embedded', recorded: 'embedded', settings: 'podman' }),
    ).toBe('docker');
  });

  it('takes devenv.yml over the record, and the record over the settings', () => {
    expect(chooseRuntime({ config: 'docker', recorded: 'embedded', settings: 'podman' })).toBe('docker');
    expect(chooseRuntime({ config: 'auto', recorded: 'embedded', settings: 'docker' })).toBe('embedded');
    expect(chooseRuntime({ config: 'auto', settings: 'docker' })).toBe('docker');
  });

  it('is auto when nothing names a runtime, or everything says auto', () => {
    expect(chooseRuntime({})).toBe('auto');
    expect(chooseRuntime({ config: 'auto', settings: 'auto' })).toBe('auto');
  });

  it('refuses an unknown name with the choices', () => {
    expect(() => chooseRuntime({ flag: 'dokcer' })).toThrow(/unknown runtime "dokcer"/);
  });
});

describe('the runtime record', () => {
  const stateDir = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-record-')), 'envs', 'box');

  it('is absent until written, then read back, then gone once removed', async () => {
    const dir = stateDir();
    expect(await readRuntimeRecord(dir)).toBeUndefined();
    await writeRuntimeRecord(dir, 'docker');
    expect(await readRuntimeRecord(dir)).toBe('docker');
    await writeRuntimeRecord(dir, 'embedded');
    expect(await readRuntimeRecord(dir)).toBe('embedded');
    await removeRuntimeRecord(dir);
    expect(await readRuntimeRecord(dir)).toBeUndefined();
  });

  it('is ignored when damaged or naming no runtime we know', async () => {
    const dir = stateDir();
    await writeRuntimeRecord(dir, 'docker');
    writeFileSync(path.join(dir, 'runtime.json'), '{"runtime": "lxc"}');
    expect(await readRuntimeRecord(dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'runtime.json'), '{not json');
    expect(await readRuntimeRecord(dir)).toBeUndefined();
  });
});
