/**
 * Schema and rule diagnostics (docs/reliability.md, Y6-Y13): every problem at once, each with
 * file:line:col, what is wrong and how to fix it.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/config/diagnostic.js';
import { validateConfigText } from '../../src/config/validate.js';
import { makeProject, removeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

function project(tree: Record<string, string | null> = {}): string {
  const dir = makeProject(tree);
  dirs.push(dir);
  return dir;
}

function check(text: string, dir = project()) {
  return validateConfigText(text, { file: 'devenv.yml', projectDir: dir, homeDir: '/home/someone' });
}

function only(result: ReturnType<typeof check>, severity: Diagnostic['severity'] = 'error') {
  return result.diagnostics
    .filter((d) => d.severity === severity)
    .map((d) => ({ path: d.path, line: d.line, col: d.col, message: d.message, hint: d.hint }));
}

describe('validateConfigText', () => {
  it('accepts a minimal config and fills in defaults and the folder name', () => {
    const dir = project();
    const result = check('base: ubuntu:24.04\n', dir);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.name).toBe(path.basename(dir));
    expect(result.config.user).toBe('root');
    expect(result.config.network).toBe('host');
    expect(result.config.proxy).toBe('inherit');
  });

  it('Y6: an unknown key says "did you mean" and points at the key', () => {
    const errors = only(check('base: ubuntu\npakages: [git]\n'));
    expect(errors).toEqual([
      {
        path: ['pakages'],
        line: 2,
        col: 1,
        message: 'unknown key "pakages" (did you mean "packages"?)',
        hint: 'rename it to "packages"',
      },
    ]);
  });

  it('Y6: reports every problem at once, each at its own position', () => {
    const errors = only(
      check(
        'base: ubuntu\nports: [70000]\nnetwork: bridged\ndevices: {usb: yes}\ncontainer: {persist: "true"}\n',
      ),
    );
    const byLine = errors.map((e) => [e.path.join('.'), e.line]).sort((a, b) => Number(a[1]) - Number(b[1]));
    expect(byLine).toEqual([
      ['ports.0', 2],
      ['network', 3],
      ['devices.usb', 4],
      ['container.persist', 5],
    ]);
    expect(errors.find((e) => e.path[0] === 'network')?.message).toBe(
      '"bridged" is not one of "host", "private", "none"',
    );
    expect(errors.find((e) => e.path[0] === 'devices')?.message).toBe('expected boolean, got "yes"');
    expect(errors.find((e) => e.path[0] === 'container')?.hint).toBeUndefined();
  });

  it('Y6: a required key that is missing is named', () => {
    expect(only(check('name: x\n'))[0]).toMatchObject({ message: '"base" is required', hint: 'add base: …' });
  });

  it('Y6: numbers in env are accepted but a lossy one (0755) is a warning', () => {
    const result = check('base: ubuntu\nenv: {UMASK: 0755, PORT: 8080}\n');
    expect(result.ok).toBe(true);
    expect(only(result, 'warning')).toEqual([
      {
        path: ['env', 'UMASK'],
        line: 2,
        col: 14,
        message: 'UMASK: 0755 is read as the number 755',
        hint: 'quote the value to keep it exactly as written',
      },
    ]);
  });

  it('Y7: newlines, carriage returns and NUL headed for one-line fields are refused with their position', () => {
    const errors = only(
      check('base: ubuntu\nenv:\n  A: "one\\ntwo"\n  B: "x\\ry"\nworkdir: "/src\\nRUN evil"\n'),
    );
    expect(errors).toEqual([
      {
        path: ['env', 'A'],
        line: 3,
        col: 6,
        message: 'contains a line break; write it on one line',
        hint: undefined,
      },
      {
        path: ['env', 'B'],
        line: 4,
        col: 6,
        message: 'contains a line break; write it on one line',
        hint: undefined,
      },
      {
        path: ['workdir'],
        line: 5,
        col: 10,
        message: 'contains a line break; write it on one line',
        hint: undefined,
      },
    ]);
  });

  it('Y7: run steps may span lines (they become exec form) but not hold NUL', () => {
    expect(check('base: ubuntu\nsteps:\n  - run: |\n      echo one\n      echo two\n').ok).toBe(true);
    expect(only(check('base: ubuntu\nsteps:\n  - run: "a\\0b"\n'))[0]).toMatchObject({
      path: ['steps', 0, 'run'],
      line: 3,
      message: 'contains a NUL character',
    });
  });

  it('Y9: names that start with "-" or contain "/" or ".." are refused', () => {
    expect(only(check('name: --privileged\nbase: ubuntu\n'))[0]).toMatchObject({
      path: ['name'],
      line: 1,
      col: 7,
      message: '"--privileged" starts with "-", which a command line would read as an option',
    });
    expect(only(check('name: a/b\nbase: ubuntu\n'))[0]?.message).toContain('may only contain letters');
    expect(only(check('name: a..b\nbase: ubuntu\n'))[0]?.message).toBe('"a..b" contains ".."');
    expect(only(check('name: x\nbase: "-v/:/h"\n'))[0]?.message).toContain('starts with "-"');
    expect(only(check('name: x\nbase: ubuntu\npackages: ["--force-yes"]\n'))[0]?.message).toContain(
      'package manager would read as an option',
    );
    expect(only(check(`name: ${'a'.repeat(300)}\nbase: ubuntu\n`))[0]?.message).toBe(
      'is longer than 128 characters',
    );
  });

  it('Y10: mounts of /, /etc, ~/.ssh and the docker socket are honoured with a warning', () => {
    const result = check(
      'base: ubuntu\nmounts: ["/:/host:ro", "/etc:/hostetc", "~/.ssh:/root/.ssh:ro", "/var/run/docker.sock:/var/run/docker.sock"]\ncontainer: {privileged: true}\ndevices: {paths: [/dev/sda]}\n',
    );
    expect(result.ok).toBe(true);
    const warnings = only(result, 'warning');
    expect(warnings.map((w) => w.message)).toEqual(
      expect.arrayContaining([
        "mounts the host's / into the container",
        "mounts the host's /etc into the container read-write",
        "mounts the host's /home/someone/.ssh into the container",
        "mounts the host's /var/run/docker.sock into the container read-write",
        'privileged: true gives the container every capability and every host device',
        'the host device /dev/sda is shared with the container',
      ]),
    );
    expect(warnings.find((w) => w.message.includes('/etc'))).toMatchObject({ path: ['mounts', 1], line: 2 });
  });

  it('Y11: copy sources and Dockerfile paths may not leave the project by ".." or a symlink', () => {
    const outside = project({ 'secret.txt': 'top secret' });
    const dir = project({ 'tools/a.sh': 'echo' });
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'link'));
    mkdirSync(path.join(dir, 'sub'));
    symlinkSync(outside, path.join(dir, 'sub', 'escape'));
    expect(only(check('base: ubuntu\nsteps:\n  - copy: {src: ../secret.txt, dest: /x}\n', dir))).toEqual([
      {
        path: ['steps', 0, 'copy', 'src'],
        line: 3,
        col: 17,
        message: '"../secret.txt" leaves the project folder',
        hint: undefined,
      },
    ]);
    const errors = only(check('base: ubuntu\nsteps:\n  - copy: {src: x/../.., dest: /x}\n', dir));
    expect(errors.map((e) => [e.path.join('.'), e.line, e.message])).toEqual([
      ['steps.0.copy.src', 3, '"x/../.." leaves the project folder'],
    ]);
    const links = only(
      check(
        'base: ubuntu\nsteps:\n  - copy: {src: link, dest: /y}\n  - copy: {src: sub/escape/secret.txt, dest: /z}\n  - copy: {src: tools, dest: /t}\n  - copy: {src: nothere, dest: /n}\n',
        dir,
      ),
    );
    expect(links.map((e) => [e.path.join('.'), e.line, e.message])).toEqual([
      [
        'steps.0.copy.src',
        3,
        expect.stringMatching(/^the copy source "link" resolves to .*secret.txt, outside the project folder/),
      ],
      [
        'steps.1.copy.src',
        4,
        expect.stringMatching(
          /^the copy source "sub\/escape\/secret.txt" resolves to .*, outside the project folder/,
        ),
      ],
    ]);
    // A missing one is only a build's problem (a restored environment runs without it): a warning.
    expect(
      only(check('base: ubuntu\nsteps:\n  - copy: {src: nothere, dest: /n}\n', dir), 'warning').map((w) => [
        w.path.join('.'),
        w.line,
        w.message,
      ]),
    ).toEqual([
      [
        'steps.0.copy.src',
        3,
        expect.stringMatching(/^the copy source "nothere" does not exist.*a build needs it$/),
      ],
    ]);
  });

  it('Y12: invalid env and build-arg names are refused at the key', () => {
    const errors = only(
      check('base: ubuntu\nenv:\n  "A B": x\n  1X: y\n  "X=Y": z\nbuild: {args: {"": a}}\n'),
    );
    expect(errors.map((e) => [e.path.join('.'), e.line])).toEqual([
      ['env.A B', 3],
      ['env.1X', 4],
      ['env.X=Y', 5],
      ['build.args.', 6],
    ]);
    expect(errors[0]?.message).toBe(
      '"A B" is not a valid variable name: use letters, digits and _, not starting with a digit',
    );
  });

  it('Y13: secret-looking env and build-arg names are warned about', () => {
    const result = check('base: ubuntu\nenv: {GITHUB_TOKEN: abc}\nbuild: {args: {DB_PASSWORD: x}}\n');
    expect(result.ok).toBe(true);
    expect(only(result, 'warning').map((w) => w.path.join('.'))).toEqual([
      'env.GITHUB_TOKEN',
      'build.args.DB_PASSWORD',
    ]);
  });

  it('unions: picks the branch the user meant', () => {
    expect(
      only(check('base: {dockerfile: ./Dockerfile, contxt: .}\n', project({ Dockerfile: 'FROM x' })))[0],
    ).toMatchObject({ path: ['base', 'contxt'], message: 'unknown key "contxt" (did you mean "context"?)' });
    expect(only(check('base: ubuntu\nmounts: ["/a:/b:rx"]\n'))[0]).toMatchObject({
      path: ['mounts', 0],
      message: '"rx" is not a mount mode; use ro or rw',
    });
    expect(only(check('base: ubuntu\nmounts: [{volume: cache, target: relative}]\n'))[0]).toMatchObject({
      path: ['mounts', 0, 'target'],
      message: '"relative" must be an absolute path inside the container',
    });
    expect(only(check('base: ubuntu\nmounts: [42]\n'))[0]).toMatchObject({
      path: ['mounts', 0],
      message: 'a mount is "host:container[:ro|rw]", {source, target} or {volume, target}',
    });
  });

  it('stages: copy.from must name a stage, cycles are refused', () => {
    const errors = only(
      check(
        'base: ubuntu\nstages:\n  build: {base: x/y, steps: [{copy: {from: b, src: /o, dest: /o}}], packages: [gcc]}\n  b: {base: alpine, steps: [{copy: {from: build, src: /o, dest: /o}}]}\nsteps:\n  - copy: {from: bulid, src: /o, dest: /o}\n',
      ),
    );
    expect(errors.map((e) => [e.path.join('.'), e.message])).toEqual([
      ['stages.build', 'stage "build" copies from itself through other stages'],
      ['steps.0.copy.from', 'no stage named "bulid" (did you mean "build"?)'],
    ]);
  });

  it.each([
    'registry.example:5000/debian:bookworm',
    '127.0.0.1:5000/library/ubuntu:24.04',
    'registry.lan/team/devbase:1',
    '{tarball: ./base.tar}',
  ])('packages on base %s need no packageManager', (base) => {
    const dir = project({ 'base.tar': '' });
    const result = check(
      `base: ${base}\npackages: [git]\nstages:\n  s: {base: ${base}, packages: [gcc]}\n`,
      dir,
    );
    expect(only(result)).toEqual([]);
    expect(only(result, 'warning')).toEqual([]);
  });

  it('a file that is not a map is refused', () => {
    expect(only(check('- base\n'))[0]?.message).toBe('devenv.yml must be a map of settings (key: value)');
  });

  it('schema errors and unknown keys come back together', () => {
    const result = check('base: ubuntu\npakages: []\nenv: {"1": x}\n');
    expect(only(result).map((e) => e.path.join('.'))).toEqual(['pakages', 'env.1']);
  });
});
