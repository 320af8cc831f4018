/**
 * What `status` calls a port: only what Docker really publishes (NetworkSettings.Ports), never the
 * binding it was asked for (HostConfig.PortBindings), and a reason for every port that is missing.
 * The inspect documents are Docker 20.10's; a published port needs a bridge, which the test engine
 * does not have, so that case is a recorded document.
 */
import { describe, expect, it } from 'vitest';
import { unpublishedPorts } from '../../../src/engine/ports.js';
import { parseContainers } from '../../../src/runtime/docker/inspect.js';

function inspect(overrides: { running: boolean; mode: string; endpoint: string; published: unknown }) {
  return JSON.stringify([
    {
      Id: 'c1',
      Name: '/web',
      Image: 'sha256:1',
      State: { Status: overrides.running ? 'running' : 'exited', Running: overrides.running, ExitCode: 0 },
      Config: { Image: 'devenv/web:latest', Labels: {} },
      HostConfig: {
        NetworkMode: overrides.mode,
        PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '18080' }] },
      },
      NetworkSettings: {
        Ports: overrides.published,
        Networks: { [overrides.mode]: { EndpointID: overrides.endpoint } },
      },
    },
  ]);
}

describe('ports in docker inspect', () => {
  it('a port Docker published is listed once, however many addresses it listens on', () => {
    const [c] = parseContainers(
      inspect({
        running: true,
        mode: 'bridge',
        endpoint: 'e1',
        published: {
          '80/tcp': [
            { HostIp: '0.0.0.0', HostPort: '18080' },
            { HostIp: '::', HostPort: '18080' },
          ],
        },
      }),
    );
    expect(c?.ports).toEqual(['18080->80/tcp']);
    expect(c && unpublishedPorts(c, { ports: ['18080:80'], network: 'private' })).toEqual([]);
  });

  it('on an engine without a bridge the binding is recorded and nothing is published', () => {
    const [c] = parseContainers(inspect({ running: true, mode: 'bridge', endpoint: '', published: {} }));
    expect(c?.ports).toEqual([]);
    expect(c?.requestedPorts).toEqual(['18080->80/tcp']);
    expect(c && unpublishedPorts(c, undefined)).toEqual([
      {
        port: '18080->80/tcp',
        reason:
          'network: private — the engine has no bridge network to publish through, so the container has no network',
      },
    ]);
  });

  it('a stopped container publishes nothing, and says so', () => {
    const [c] = parseContainers(inspect({ running: false, mode: 'bridge', endpoint: '', published: null }));
    expect(c && unpublishedPorts(c, { ports: ['18080:80'], network: 'private' })).toEqual([
      { port: '18080:80', reason: 'the container is exited; ports are published while it runs' },
    ]);
  });
});
