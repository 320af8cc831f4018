/**
 * Docker's inspect documents, from the CLI (an array) and the Engine API (one object): the same
 * summaries from either, Go's nulls read as empty, and a document of the wrong shape is a clear
 * runtime failure that names the field rather than a summary with holes in it.
 */
import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/errors.js';
import {
  containerSummary,
  imageSummary,
  parseContainers,
  parseImages,
  parseVolumes,
} from '../../../src/runtime/docker/inspect.js';

const CONTAINER = {
  Id: 'c0ffee',
  Name: '/web',
  Image: 'sha256:1',
  Created: '2026-01-01T00:00:00Z',
  State: { Status: 'exited', Running: false, ExitCode: 3, StartedAt: '2026-01-01T00:00:01Z' },
  Config: { Image: 'devenv/web:latest', Labels: { 'dev.devenv.name': 'web' } },
  Mounts: [
    { Type: 'bind', Source: '/src', Destination: '/work', Name: null },
    { Type: 'volume', Destination: '/v', Name: 'cache' },
  ],
  HostConfig: { NetworkMode: 'none', PortBindings: null },
  NetworkSettings: { Ports: null, Networks: { none: { EndpointID: 'e1' } } },
};

const IMAGE = {
  Id: 'sha256:abc',
  RepoTags: ['devenv/web:latest'],
  RepoDigests: null,
  Size: 1234,
  Config: { Labels: null, Entrypoint: null, Cmd: ['sh'], Env: ['PATH=/bin'] },
};

/** Runs `parse` and returns the DevenvError it throws. */
function failure(parse: () => unknown): DevenvError {
  try {
    parse();
  } catch (error) {
    if (error instanceof DevenvError) return error;
    throw error;
  }
  throw new Error('expected a DevenvError');
}

describe('docker inspect documents', () => {
  it('reads a container the same from the CLI array and the Engine API object', () => {
    const summary = containerSummary(CONTAINER);
    expect(parseContainers(JSON.stringify([CONTAINER]))).toEqual([summary]);
    expect(summary).toMatchObject({
      id: 'c0ffee',
      name: 'web',
      image: 'devenv/web:latest',
      imageId: 'sha256:1',
      state: 'exited',
      exitCode: 3,
      labels: { 'dev.devenv.name': 'web' },
      mounts: [
        { type: 'bind', source: '/src', target: '/work' },
        { type: 'volume', source: '', target: '/v', name: 'cache' },
      ],
      ports: [],
      network: { mode: 'none', connected: true },
    });
  });

  it("reads Go's nulls as empty and an unknown state as dead", () => {
    const summary = containerSummary({
      ...CONTAINER,
      State: { Status: 'frozen' },
      Config: { Image: 'x', Labels: null },
      Mounts: null,
      HostConfig: null,
      NetworkSettings: null,
    });
    expect(summary).toMatchObject({ state: 'dead', labels: {}, mounts: [], ports: [], requestedPorts: [] });
    expect(summary.network).toBeUndefined();
  });

  it('reads an image and a volume', () => {
    expect(imageSummary(IMAGE)).toEqual({
      id: 'sha256:abc',
      tags: ['devenv/web:latest'],
      repoDigests: [],
      size: 1234,
      labels: {},
      entrypoint: null,
      cmd: ['sh'],
      env: ['PATH=/bin'],
    });
    expect(parseImages(JSON.stringify([IMAGE]))[0]).toEqual(imageSummary(IMAGE));
    expect(parseVolumes(JSON.stringify([{ Name: 'v', Labels: null }]))).toEqual([{ name: 'v', labels: {} }]);
  });

  it('names the field of a container document of the wrong shape', () => {
    const wrongPid = failure(() => containerSummary({ ...CONTAINER, State: { Status: 7 } }));
    expect(wrongPid.code).toBe('DEVENV_RUNTIME_FAILED');
    expect(wrongPid.message).toBe(
      'unexpected container inspect from docker: State.Status: expected a string, got 7',
    );
    expect(wrongPid.hint).toMatch(/docker version/);

    const label = failure(() =>
      parseContainers(JSON.stringify([{ ...CONTAINER, Config: { Image: 'x', Labels: { a: 1 } } }])),
    );
    expect(label.message).toContain('[0].Config.Labels.a: expected a string, got 1');

    const mount = failure(() => containerSummary({ ...CONTAINER, Mounts: [{ Type: 'bind' }] }));
    expect(mount.message).toContain('Mounts[0].Destination: expected a string, got undefined');

    const port = failure(() =>
      containerSummary({ ...CONTAINER, NetworkSettings: { Ports: { '80/tcp': [{ HostPort: 80 }] } } }),
    );
    expect(port.message).toContain('NetworkSettings.Ports.80/tcp[0].HostPort: expected a string, got 80');
  });

  it('names the field of an image document of the wrong shape, and says when the text is not an array', () => {
    expect(failure(() => imageSummary({ ...IMAGE, Config: { Cmd: 'sh' } })).message).toBe(
      'unexpected image inspect from docker: Config.Cmd: expected an array, got "sh"',
    );
    expect(failure(() => imageSummary(null)).message).toContain('the value: expected an object, got null');
    expect(failure(() => parseImages(JSON.stringify(IMAGE))).message).toContain(
      'expected an array, got an object',
    );
    expect(failure(() => parseImages('{not json')).message).toBe(
      'docker printed something that is not JSON for image inspect',
    );
  });
});
