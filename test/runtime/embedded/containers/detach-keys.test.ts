import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../../../src/errors.js';
import {
  DEFAULT_DETACH_KEYS,
  DetachMatcher,
  parseDetachKeys,
} from '../../../../src/runtime/embedded/containers/detach-keys.js';

describe('parseDetachKeys', () => {
  it("reads Docker's default as ctrl-p ctrl-q", () => {
    expect([...parseDetachKeys(DEFAULT_DETACH_KEYS)]).toEqual([0x10, 0x11]);
  });

  it('reads every named control key and single printable characters', () => {
    expect([...parseDetachKeys('ctrl-a,ctrl-z,ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([
      1, 26, 0, 27, 28, 29, 30, 31,
    ]);
    expect([...parseDetachKeys('a,ctrl-X,~')]).toEqual([0x61, 0x18, 0x7e]);
  });

  it.each(['', 'ctrl-', 'ctrl-1', 'ctrl-pq', 'ab', 'alt-x', 'ctrl-p,,ctrl-q', ',', '\t', 'é'])(
    'refuses %j with the value and the syntax',
    (spec) => {
      let caught: unknown;
      try {
        parseDetachKeys(spec);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DevenvError);
      const error = caught as DevenvError;
      expect(error.code).toBe('DEVENV_CONFIG_INVALID');
      expect(error.message).toContain(JSON.stringify(spec));
      expect(error.hint).toContain('ctrl-p,ctrl-q');
    },
  );
});

describe('DetachMatcher', () => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q');

  it('passes input that holds no detach key through untouched', () => {
    const matcher = new DetachMatcher(keys);
    expect(matcher.feed(Buffer.from('ls -l\r'))).toEqual({ forward: Buffer.from('ls -l\r'), detach: false });
  });

  it('detaches on the whole sequence, typed in one chunk or key by key', () => {
    expect(new DetachMatcher(keys).feed(Buffer.from('ab\x10\x11cd'))).toEqual({
      forward: Buffer.from('ab'),
      detach: true,
    });
    const matcher = new DetachMatcher(keys);
    expect(matcher.feed(Buffer.from('\x10'))).toEqual({ forward: Buffer.alloc(0), detach: false });
    expect(matcher.feed(Buffer.from('\x11'))).toEqual({ forward: Buffer.alloc(0), detach: true });
  });

  it('forwards the held key with the one that broke the sequence', () => {
    const matcher = new DetachMatcher(keys);
    expect(matcher.feed(Buffer.from('\x10')).forward).toEqual(Buffer.alloc(0));
    expect(matcher.feed(Buffer.from('x'))).toEqual({ forward: Buffer.from('\x10x'), detach: false });
    // Broken once, the sequence starts over.
    expect(matcher.feed(Buffer.from('\x10\x11')).detach).toBe(true);
  });

  it('forwards two ctrl-p in a row, as Docker does', () => {
    const matcher = new DetachMatcher(keys);
    expect(matcher.feed(Buffer.from('\x10\x10'))).toEqual({
      forward: Buffer.from('\x10\x10'),
      detach: false,
    });
  });

  it('holds a longer custom sequence across chunks', () => {
    const matcher = new DetachMatcher(parseDetachKeys('ctrl-a,d,ctrl-a'));
    expect(matcher.feed(Buffer.from('\x01d')).forward).toEqual(Buffer.alloc(0));
    expect(matcher.feed(Buffer.from('q'))).toEqual({ forward: Buffer.from('\x01dq'), detach: false });
    expect(matcher.feed(Buffer.from('\x01')).detach).toBe(false);
    expect(matcher.feed(Buffer.from('d\x01')).detach).toBe(true);
  });

  it('never detaches with no keys', () => {
    const matcher = new DetachMatcher(Buffer.alloc(0));
    expect(matcher.feed(Buffer.from('\x10\x11'))).toEqual({
      forward: Buffer.from('\x10\x11'),
      detach: false,
    });
  });
});
