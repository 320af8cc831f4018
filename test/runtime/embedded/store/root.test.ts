/** Where the store lives: explicit inputs only, in the documented order of precedence. */
import { describe, expect, it } from 'vitest';
import { resolveStoreRoot } from '../../../../src/runtime/embedded/store/index.js';

const base = { env: {}, uid: 1000, homeDir: '/home/ada', cwd: '/work/project' };

describe('resolveStoreRoot', () => {
  it('prefers --root, then DEVENV_ROOT, then the storage setting, then the default', () => {
    const all = { ...base, flag: 'store', env: { DEVENV_ROOT: '/env/root' }, settingsStorage: '/ssd/devenv' };
    expect(resolveStoreRoot(all)).toEqual({ root: '/work/project/store', source: 'flag' });
    expect(resolveStoreRoot({ ...all, flag: undefined })).toEqual({
      root: '/env/root',
      source: 'DEVENV_ROOT',
    });
    expect(resolveStoreRoot({ ...all, flag: undefined, env: {} })).toEqual({
      root: '/ssd/devenv',
      source: 'settings',
    });
  });

  it('defaults to /var/lib/devenv for root and $XDG_DATA_HOME/devenv (or ~/.local/share/devenv) rootless', () => {
    expect(resolveStoreRoot({ ...base, uid: 0 })).toEqual({ root: '/var/lib/devenv', source: 'default' });
    expect(resolveStoreRoot(base)).toEqual({ root: '/home/ada/.local/share/devenv', source: 'default' });
    expect(resolveStoreRoot({ ...base, env: { XDG_DATA_HOME: '/data' } })).toEqual({
      root: '/data/devenv',
      source: 'default',
    });
    expect(resolveStoreRoot({ ...base, env: { XDG_DATA_HOME: 'relative' } }).root).toBe(
      '/home/ada/.local/share/devenv',
    );
  });

  it('refuses a relative DEVENV_ROOT', () => {
    expect(() => resolveStoreRoot({ ...base, env: { DEVENV_ROOT: 'here' } })).toThrow(
      /DEVENV_ROOT must be an absolute path/,
    );
  });
});
