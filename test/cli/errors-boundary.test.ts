/**
 * The error boundary as a new user meets it: for each command and kind of failure, the built CLI
 * exits with the documented status (2 usage or config, 1 other failure, 125 for exec and run), names
 * the path or field at fault, and never calls a user's mistake a bug.
 */
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, devenv } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { makeProject, removeProject } from '../helpers/project.js';
import { isRoot, skipUnless } from '../helpers/requirements.js';
import { execa } from 'execa';

const NOBODY = 65534;
const noRoot = skipUnless('the permission cases (they run as user nobody through setpriv)', {
  root: isRoot,
});
let box = '';
let project = '';
let store = '';

beforeAll(async () => {
  box = makeProject({ 'p/devenv.yml': 'name: boundary\nbase: alpine\n' });
  project = path.join(box, 'p');
  store = path.join(box, 'nb', 'store');
  mkdirSync(path.dirname(store));
  if (isRoot) chownSync(path.dirname(store), NOBODY, NOBODY);
  // A fresh embedded store owned by the user the permission cases run as.
  const made = await asUser(['--runtime', 'embedded', '--root', store, 'images'], box);
  expect(made.exitCode, made.stderr).toBe(0);
}, 60_000);
afterAll(() => {
  if (box !== '') removeProject(box);
});

/** Runs the CLI as an unprivileged user when we are root (root reads anything), else as ourselves. */
async function asUser(args: string[], cwd: string): Promise<CliResult> {
  if (!isRoot) return devenv(args, { cwd, env: { HOME: box, XDG_STATE_HOME: path.join(box, 'state') } });
  const result = await execa(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, CLI, ...args],
    {
      cwd,
      env: { NO_COLOR: '1', HOME: box, XDG_STATE_HOME: path.join(box, 'state') },
      reject: false,
      timeout: 60_000,
    },
  );
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

interface Case {
  name: string;
  run: () => Promise<CliResult>;
  status: number;
  /** What the message must name: the path or field at fault. */
  names: () => string;
}

/** The embedded runtime on a store of this caller's own (root, or not). */
const rootStore = () => ['--runtime', 'embedded', '--root', path.join(box, 'own-store')];

const noDocker = { PATH: '/nonexistent', DOCKER_HOST: undefined };
const deadDocker = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

const CASES: Case[] = [
  {
    name: 'init in a folder that takes no files (-C /proc)',
    run: () => devenv(['-C', '/proc', 'init', '--name', 'x'], { cwd: box }),
    status: 1,
    names: () => '/proc',
  },
  {
    name: 'init in a folder that does not exist',
    run: () => devenv(['-C', path.join(box, 'missing'), 'init', '--name', 'x'], { cwd: box }),
    status: 1,
    names: () => path.join(box, 'missing'),
  },
  {
    name: 'export under a file (/dev/null/x)',
    run: () => devenv(['export', '/dev/null/x'], { cwd: project }),
    status: 1,
    names: () => '/dev/null',
  },
  {
    name: '-f under a file',
    run: () => devenv(['-f', '/dev/null/x', 'validate'], { cwd: box }),
    status: 2,
    names: () => '/dev/null/x',
  },
  {
    name: 'storage move onto a file (/dev/null)',
    run: () => asUser(['--runtime', 'embedded', '--root', store, 'storage', 'move', '/dev/null'], box),
    status: 1,
    names: () => '/dev/null',
  },
  {
    name: 'storage move into a folder devenv cannot write',
    run: () => asUser(['--root', store, 'storage', 'move', '/proc/store'], box),
    status: 1,
    names: () => '/proc',
  },
  {
    name: 'a relative DEVENV_ROOT',
    run: () => devenv(['--runtime', 'embedded', 'images'], { cwd: box, env: { DEVENV_ROOT: 'rel/store' } }),
    status: 2,
    names: () => 'DEVENV_ROOT',
  },
  {
    name: 'tag with an invalid reference (embedded)',
    run: () => asUser(['--runtime', 'embedded', '--root', store, 'tag', 'busybox', 'Bad Ref'], box),
    status: 2,
    names: () => 'Bad Ref',
  },
  {
    name: 'push of a digest reference (embedded)',
    run: () =>
      asUser(['--runtime', 'embedded', '--root', store, 'push', `busybox@sha256:${'a'.repeat(64)}`], box),
    status: 2,
    names: () => 'busybox@sha256',
  },
  {
    name: 'load of a bundle that does not exist',
    run: () => devenv([...rootStore(), 'load', '/tmp/no-such-bundle.tar'], { cwd: box }),
    status: 1,
    names: () => '/tmp/no-such-bundle.tar does not exist',
  },
  {
    name: 'load of a bundle under a file (/dev/null/x.tar)',
    run: () => devenv([...rootStore(), 'load', '/dev/null/x.tar'], { cwd: box }),
    status: 1,
    names: () => '/dev/null is a file, not a folder',
  },
  {
    name: 'load of a folder',
    run: () => devenv([...rootStore(), 'load', box], { cwd: box }),
    status: 1,
    names: () => `${box} is a folder, not a file`,
  },
  {
    name: '-C a folder that does not exist',
    run: () => devenv(['-C', path.join(box, 'nowhere'), 'validate'], { cwd: box }),
    status: 2,
    names: () => `${path.join(box, 'nowhere')} does not exist`,
  },
  {
    name: 'an alias bomb: one line per distinct problem, every one counted',
    run: () => {
      const dir = path.join(box, 'bomb');
      mkdirSync(dir, { recursive: true });
      const aliases = Array.from({ length: 70 }, (_, i) => `  B${String(i)}: *a`).join('\n');
      writeFileSync(
        path.join(dir, 'devenv.yml'),
        `name: bomb\nbase: alpine:3\nenv:\n  A: &a x\n${aliases}\n`,
      );
      return devenv(['-C', dir, 'validate'], { cwd: box });
    },
    status: 2,
    names: () => 'error: 70 problems found',
  },
  {
    name: 'exec with no docker CLI on PATH',
    run: () => devenv(['--runtime', 'docker', 'exec', '--', 'true'], { cwd: project, env: noDocker }),
    status: 125,
    names: () => 'docker',
  },
  {
    name: 'exec with DOCKER_HOST on a dead socket',
    run: () => devenv(['--runtime', 'docker', 'exec', '--', 'true'], { cwd: project, env: deadDocker }),
    status: 125,
    names: () => '/nonexistent/docker.sock',
  },
  {
    name: 'run with DOCKER_HOST on a dead socket',
    run: () => devenv(['--runtime', 'docker', 'run', '--', 'true'], { cwd: project, env: deadDocker }),
    status: 125,
    names: () => '/nonexistent/docker.sock',
  },
  {
    name: 'exec without a command is a usage error, also in exec',
    run: () => devenv(['exec'], { cwd: project, env: deadDocker }),
    status: 2,
    names: () => 'exec',
  },
];

describe('error boundary of the built CLI', () => {
  it.each(CASES)('$name', async ({ run, status, names }) => {
    const result = await run();
    expect(result.exitCode, result.stderr).toBe(status);
    expect(result.stderr).toContain(names());
    expect(result.stderr).not.toContain('hit a bug');
    expect(result.stdout).toBe('');
  });

  it.skipIf(noRoot)('a devenv.yml found by discovery but unreadable says permission denied', async () => {
    const dir = makeProject({ 'devenv.yml': 'base: alpine\n' });
    try {
      chmodSync(path.join(dir, 'devenv.yml'), 0o600);
      const result = await asUser(['validate'], dir);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain(`cannot read ${path.join(dir, 'devenv.yml')}: permission denied`);
    } finally {
      removeProject(dir);
    }
  });

  it.skipIf(noRoot)('an unreadable folder inside the store names it instead of a bug', async () => {
    const images = path.join(store, 'images');
    chmodSync(images, 0o000);
    try {
      const result = await asUser(['--runtime', 'embedded', '--root', store, 'images'], box);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toContain(images);
      expect(result.stderr).not.toContain('hit a bug');
    } finally {
      chmodSync(images, 0o700);
    }
  });

  it.skipIf(noRoot)('an unreadable --root store names the store folder', async () => {
    chmodSync(store, 0o000);
    try {
      const result = await asUser(['--root', store, 'doctor'], box);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toContain(store);
      expect(result.stderr).not.toContain('hit a bug');
    } finally {
      chmodSync(store, 0o700);
    }
  });
});
