/** Docker's USER forms against an image's passwd and group files (no root needed). */
import { describe, expect, it } from 'vitest';
import { resolveUser } from '../../../../src/runtime/embedded/sandbox/user.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1::/:/bin/false',
  'broken line',
  'dev:x:1000:1000:dev:/home/dev:/bin/sh',
  '',
].join('\n');
const GROUP = [
  'root:x:0:',
  'wheel:x:10:root',
  'staff:x:50:dev,daemon',
  'dev:x:1000:',
  'audio:x:29:dev',
  '',
].join('\n');
const FILES = { passwd: '/etc/passwd', group: '/etc/group' };

const resolve = (spec: string) => resolveUser(spec, PASSWD, GROUP, FILES);

describe('resolveUser', () => {
  it.each([
    ['', { uid: 0, gid: 0, groups: [10] }],
    ['root', { uid: 0, gid: 0, groups: [10] }],
    ['dev', { uid: 1000, gid: 1000, groups: [50, 29] }],
    ['1000', { uid: 1000, gid: 1000, groups: [50, 29] }],
    ['dev:staff', { uid: 1000, gid: 50, groups: [] }],
    ['dev:4242', { uid: 1000, gid: 4242, groups: [] }],
    ['1000:1000', { uid: 1000, gid: 1000, groups: [] }],
    ['4000', { uid: 4000, gid: 0, groups: [] }],
    ['4000:4001', { uid: 4000, gid: 4001, groups: [] }],
    ['dev:', { uid: 1000, gid: 1000, groups: [50, 29] }],
  ])('%j resolves as Docker does', (spec, expected) => {
    expect(resolve(spec)).toEqual(expected);
  });

  it('works without account files for numeric ids only', () => {
    const bare = (spec: string) => resolveUser(spec, undefined, undefined, FILES);
    expect(bare('0')).toEqual({ uid: 0, gid: 0, groups: [] });
    expect(bare('')).toEqual({ uid: 0, gid: 0, groups: [] });
    expect(() => bare('dev')).toThrow(/user "dev" is not in the image's \/etc\/passwd/);
  });

  it('names an unknown user or group and says how to fix it', () => {
    expect(() => resolve('nobody')).toThrow(
      expect.objectContaining({
        code: 'DEVENV_CONFIG_INVALID',
        message: 'user "nobody" is not in the image\'s /etc/passwd',
        hint: expect.stringContaining('useradd') as unknown,
      }),
    );
    expect(() => resolve('dev:video')).toThrow(/group "video" is not in the image's \/etc\/group/);
  });

  it('rejects ids beyond 32 bits as names, which then do not exist', () => {
    expect(() => resolve('4294967295')).toThrow(/user "4294967295"/);
  });
});
