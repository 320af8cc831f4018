import { describe, expect, it } from 'vitest';
import { describeRunChanges, readRunSettings, RUN_SETTINGS_LABEL } from '../../src/engine/run-changes.js';
import type { RunSettings } from '../../src/plan/types.js';

const base: RunSettings = {
  hostname: 'h',
  user: undefined,
  workdir: '/src',
  env: { FOO: '1', KEEP: 'k' },
  mounts: [{ type: 'bind', source: '/p', target: '/src', readonly: false }],
  devices: { usb: false, gpu: false, paths: [] },
  network: 'host',
  ports: [],
  dns: [],
  init: true,
  privileged: false,
  stopSignal: 'SIGHUP',
  persist: true,
};

describe('describeRunChanges', () => {
  it('names what changed, without the values of variables', () => {
    const after: RunSettings = {
      ...base,
      env: { KEEP: 'k', FOO: 'secret-2', BAR: 'x' },
      mounts: [...base.mounts, { type: 'volume', name: 'v', target: '/data', readonly: false }],
      devices: { ...base.devices, usb: true },
      workdir: '/work',
    };
    const words = describeRunChanges(base, after);
    expect(words).toEqual([
      'mounts (+ /data)',
      'env (+ BAR, FOO)',
      'devices (usb)',
      'workdir (/src → /work)',
    ]);
    expect(words.join(' ')).not.toContain('secret-2');
  });

  it('says nothing when nothing changed, and notes removals', () => {
    expect(describeRunChanges(base, base)).toEqual([]);
    expect(describeRunChanges(base, { ...base, env: { KEEP: 'k' }, mounts: [] })).toEqual([
      'mounts (- /src)',
      'env (- FOO)',
    ]);
  });

  it('reads the label back; a missing or broken label reads as unknown', () => {
    expect(readRunSettings({ [RUN_SETTINGS_LABEL]: JSON.stringify(base) })).toEqual(base);
    expect(readRunSettings({ [RUN_SETTINGS_LABEL]: '{broken' })).toBeUndefined();
    expect(readRunSettings({})).toBeUndefined();
  });
});
