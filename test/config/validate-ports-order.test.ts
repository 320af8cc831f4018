/**
 * `validate` reports in the order of the file, suggests the word meant for a misspelt choice, and
 * checks published ports (ranges, host port 0, protocols) before anything is built.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfigText } from '../../src/config/validate.js';
import { makeProject, removeProject } from '../helpers/project.js';

const dir = makeProject({});
afterAll(() => {
  removeProject(dir);
});

function errors(text: string) {
  return validateConfigText(text, { file: 'devenv.yml', projectDir: dir, homeDir: '/home/someone' })
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => ({ at: `${d.line}:${d.col}`, path: d.path.join('.'), message: d.message, hint: d.hint }));
}

describe('validate order and suggestions', () => {
  it('reports diagnostics by line, then column, whichever check found them', () => {
    const found = errors(
      [
        'name: a',
        'base: debian:bookworm',
        'user: hostt',
        'network: privat',
        'ports: ["99999:1", "0:22"]',
        'packageManager: aptt',
        'runtime: dockre',
        'proxy: inheritt',
      ].join('\n'),
    );
    expect(found.map((d) => d.at)).toEqual(['3:7', '4:10', '5:9', '5:20', '6:17', '7:10', '8:8']);
  });

  it.each([
    [
      'user: hostt',
      'user',
      '"hostt" is not one of "root", "host" or a map of settings (did you mean "host"?)',
      'write user: host',
    ],
    [
      'proxy: inheritt',
      'proxy',
      '"inheritt" is not one of "inherit", "none" or a map of settings (did you mean "inherit"?)',
      'write proxy: inherit',
    ],
    [
      'network: privat',
      'network',
      '"privat" is not one of "host", "private", "none" (did you mean "private"?)',
      'write network: private',
    ],
    [
      'runtime: dockre',
      'runtime',
      '"dockre" is not one of "auto", "embedded", "docker", "podman" (did you mean "docker"?)',
      'write runtime: docker',
    ],
    [
      'packageManager: aptt',
      'packageManager',
      '"aptt" is not one of "apt", "apk", "dnf", "yum", "microdnf", "pacman", "zypper" (did you mean "apt"?)',
      'write packageManager: apt',
    ],
  ])('%s: says which word was meant, with a hint', (line, path, message, hint) => {
    expect(errors(`base: debian:bookworm\n${line}\n`)).toEqual([
      { at: '2:' + String(path.length + 3), path, message, hint },
    ]);
  });

  it('lists the choices as the hint when nothing is close', () => {
    expect(errors('base: debian:bookworm\nuser: somebody\n')[0]).toMatchObject({
      message: '"somebody" is not one of "root", "host" or a map of settings',
      hint: 'use one of: root, host or a map of settings',
    });
  });
});

describe('ports', () => {
  it.each([
    ['"99999:1"', 'host port 99999 is out of range; ports are 1 to 65535'],
    ['"8000:70000"', 'container port 70000 is out of range; ports are 1 to 65535'],
    [
      '"0:22"',
      'host port 0 asks Docker for any free port, which changes every time the container is recreated',
    ],
    ['"70000:80/sctp"', 'host port 70000 is out of range; ports are 1 to 65535'],
    ['"8080:80/icmp"', 'protocol "icmp" is not one of tcp, udp, sctp'],
    ['"80:http"', 'container port "http" is not a number or a range such as 8000-8010'],
    ['"9000-8000:80"', 'host port range 9000-8000 ends before it starts'],
    ['"8000-8002:80-81"', 'host range 8000-8002 and container range 80-81 have different lengths'],
    ['"300.0.0.1:80:80"', '"300.0.0.1" is not an IPv4 address'],
    ['"127.0.0.1:80"', '"127.0.0.1:80" gives an address and one port; Docker reads it as IP:HOST:CONTAINER'],
    ['0', 'container port 0 is out of range; ports are 1 to 65535'],
  ])('refuses %s with its position and a hint', (port, message) => {
    const found = errors(`base: debian:bookworm\nnetwork: private\nports: [${port}]\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ at: '3:9', path: 'ports.0', message });
    expect(found[0]?.hint).toMatch(/\S/);
  });

  it('says how to write a fixed host port instead of 0', () => {
    expect(errors('base: debian:bookworm\nnetwork: private\nports: ["0:22"]\n')[0]?.hint).toBe(
      'write a fixed host port such as "2222:22", or only the container port ("22") if any free port will do',
    );
  });

  it('accepts what docker run -p accepts', () => {
    const ports = [
      '80',
      '8000:80',
      '8000:80/udp',
      '9000:9000/sctp',
      '127.0.0.1:8000:80',
      '127.0.0.1::80',
      '[::1]:8000:80/tcp',
      '8000-8010:8000-8010',
      '1:65535',
    ];
    const text = `base: debian:bookworm\nnetwork: private\nports: [${ports.map((p) => JSON.stringify(p)).join(', ')}, 8080]\n`;
    expect(errors(text)).toEqual([]);
  });
});
