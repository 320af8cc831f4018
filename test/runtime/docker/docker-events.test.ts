/** Reading `docker events` lines: which environment an event is about, and which events change nothing. */
import { describe, expect, it } from 'vitest';
import { changeOfEventLine, eventArgs } from '../../../src/runtime/docker/docker-events.js';

const dockerLine = (action: string, attributes: Record<string, string>) =>
  JSON.stringify({
    status: action,
    id: 'c0ffee',
    Type: 'container',
    Action: action,
    Actor: { ID: 'c0ffee', Attributes: { image: 'devenv/api:1', name: 'api-1', ...attributes } },
    scope: 'local',
    time: 1700000000,
  });

describe('changeOfEventLine', () => {
  it("names the environment from devenv's label, not the container name", () => {
    for (const action of ['create', 'start', 'die', 'stop', 'destroy', 'rename', 'health_status: healthy'])
      expect(changeOfEventLine(dockerLine(action, { 'dev.devenv.name': 'api' }))).toBe('api');
  });

  it("reads Podman's flat Attributes", () => {
    const line = JSON.stringify({
      ID: 'x',
      Name: 'api-1',
      Status: 'died',
      Type: 'container',
      Attributes: { 'dev.devenv.name': 'api' },
    });
    expect(changeOfEventLine(line)).toBe('api');
  });

  it('ignores events that leave the state as it was', () => {
    for (const action of [
      'exec_create: sh',
      'exec_start: sh',
      'exec_die',
      'attach',
      'resize',
      'top',
      'commit',
    ])
      expect(changeOfEventLine(dockerLine(action, { 'dev.devenv.name': 'api' }))).toBeNull();
    expect(changeOfEventLine('')).toBeNull();
    expect(changeOfEventLine(JSON.stringify({ Type: 'image', Action: 'tag' }))).toBeNull();
  });

  it('asks for a full refresh when it cannot tell which environment', () => {
    expect(changeOfEventLine('not json')).toBeUndefined();
    expect(changeOfEventLine(dockerLine('start', {}))).toBeUndefined();
    expect(changeOfEventLine('42')).toBeUndefined();
  });
});

describe('eventArgs', () => {
  it("asks the engine for container events of devenv's containers, replaying from a time when given", () => {
    expect(eventArgs(undefined)).toEqual([
      'events',
      '--format',
      '{{json .}}',
      '--filter',
      'type=container',
      '--filter',
      'label=dev.devenv.name',
    ]);
    expect(eventArgs(1700000000).slice(-2)).toEqual(['--since', '1700000000']);
  });
});
