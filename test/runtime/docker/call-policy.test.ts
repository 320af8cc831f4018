/** Which docker calls get a limit, how long, and which an interrupt may kill. */
import { describe, expect, it } from 'vitest';
import {
  callPolicy,
  commandName,
  DEFAULT_DOCKER_TIMEOUT_MS,
  dockerTimeoutMs,
} from '../../../src/runtime/docker/call-policy.js';

const BASE = 30_000;

describe('docker call policy', () => {
  it('names the verb without flags or object names', () => {
    expect(commandName(['container', 'inspect', 'x'])).toBe('container inspect');
    expect(commandName(['image', 'ls', '--quiet'])).toBe('image ls');
    expect(commandName(['ps', '--all', '--quiet'])).toBe('ps');
    expect(commandName(['start', 'x'])).toBe('start');
    expect(commandName(['--version'])).toBe('--version');
    expect(commandName(['image', '--help'])).toBe('image');
  });

  it('queries answer within the base limit and may be interrupted', () => {
    for (const args of [
      ['version', '--format', '{{.Server.Version}}'],
      ['--version'],
      ['info', '--format', '{{json .}}'],
      ['container', 'inspect', 'x'],
      ['image', 'inspect', 'x'],
      ['ps', '--all', '--quiet'],
      ['image', 'ls', '--quiet'],
      ['volume', 'ls', '--quiet'],
      ['context', 'show'],
    ])
      expect(callPolicy(args, BASE), args.join(' ')).toEqual({ timeoutMs: BASE, cancellable: true });
  });

  it('progress, streams and sessions have no limit', () => {
    for (const args of [
      ['build', '--iidfile', 'f', '-'],
      ['pull', 'x'],
      ['push', 'x'],
      ['save', 'x'],
      ['load'],
      ['load', '--input', 'f'],
      ['import', '-', 'x'],
      ['cp', '--archive', 'c:/v/.', '-'],
      ['logs', '--follow', 'x'],
      ['attach', 'x'],
      ['exec', '-it', 'x', 'sh'],
      ['image', 'prune', '--force'],
    ])
      expect(callPolicy(args, BASE).timeoutMs, args.join(' ')).toBeUndefined();
  });

  it('changes get four base limits; stop adds its own grace period', () => {
    expect(callPolicy(['create', '--name', 'x', 'img'], BASE).timeoutMs).toBe(4 * BASE);
    expect(callPolicy(['start', 'x'], BASE).timeoutMs).toBe(4 * BASE);
    expect(callPolicy(['tag', 'a', 'b'], BASE).timeoutMs).toBe(4 * BASE);
    expect(callPolicy(['stop', '--time', '60', 'x'], BASE).timeoutMs).toBe(60_000 + 4 * BASE);
    expect(callPolicy(['stop', 'x'], BASE).timeoutMs).toBe(10_000 + 4 * BASE);
    expect(callPolicy(['stop', '--time', 'soon', 'x'], BASE).timeoutMs).toBe(10_000 + 4 * BASE);
  });

  it('cleanups and commit run to the end after an interrupt', () => {
    for (const args of [
      ['rm', '--force', 'x'],
      ['image', 'rm', '--force', 'x'],
      ['volume', 'rm', 'x'],
      ['stop', 'x'],
      ['commit', 'x', 'tag'],
    ])
      expect(callPolicy(args, BASE).cancellable, args.join(' ')).toBe(false);
    expect(callPolicy(['commit', 'x', 'tag'], BASE).timeoutMs).toBeUndefined();
    expect(callPolicy(['build', '-'], BASE).cancellable).toBe(true);
    expect(callPolicy(['save', 'x'], BASE).cancellable).toBe(true);
  });

  it('DEVENV_DOCKER_TIMEOUT sets the base limit in seconds; anything else is a usage error', () => {
    expect(dockerTimeoutMs({})).toBe(DEFAULT_DOCKER_TIMEOUT_MS);
    expect(dockerTimeoutMs({ DEVENV_DOCKER_TIMEOUT: '' })).toBe(DEFAULT_DOCKER_TIMEOUT_MS);
    expect(dockerTimeoutMs({ DEVENV_DOCKER_TIMEOUT: '90' })).toBe(90_000);
    expect(dockerTimeoutMs({ DEVENV_DOCKER_TIMEOUT: '0.5' })).toBe(500);
    for (const bad of ['0', '-3', 'soon', '30s'])
      expect(() => dockerTimeoutMs({ DEVENV_DOCKER_TIMEOUT: bad }), bad).toThrow(
        expect.objectContaining({ code: 'DEVENV_USAGE', exitCode: 2 }),
      );
  });
});
