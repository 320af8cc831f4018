/**
 * The rest of the Docker command surface: hooks, one-off run, start/stop/restart, shell in a real
 * terminal, --context, --json results, --keep-state, two concurrent ups, and prune.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run, services } from './env.js';

const names = [
  'cmd-hooks',
  'cmd-run',
  'cmd-life',
  'cmd-shell',
  'cmd-context',
  'cmd-keep',
  'cmd-race',
  'cmd-prune',
];
const sessions: TmuxSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.kill();
  await docker(['rm', '-f', ...names]);
});

describe.skipIf(noDocker)('devenv commands on Docker', () => {
  it('hooks.create runs once per container, hooks.start on every start', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-hooks', [
      'hooks:',
      '  create: ["echo created >> /root/hooks.log"]',
      '  start: ["echo started >> /root/hooks.log"]',
    ]);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    expect((await run(dir, env, ['stop'])).exitCode).toBe(0);
    expect((await run(dir, env, ['start'])).exitCode).toBe(0);
    expect((await run(dir, env, ['restart'])).exitCode).toBe(0);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    expect((await run(dir, env, ['exec', '--', 'cat', '/root/hooks.log'])).stdout.split('\n')).toEqual([
      'created',
      'started',
      'started',
      'started',
    ]);
  });

  it('a failing hook stops up with its status, and runs again on the next up', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-hooks2', ['hooks: {create: ["test -f /root/ready"]}']);
    const failed = await run(dir, env, ['up', '-d']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('the create hook "test -f /root/ready" exited with status 1');
    await docker(['exec', 'cmd-hooks2', 'touch', '/root/ready']);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await docker(['rm', '-f', 'cmd-hooks2']);
  });

  it('run uses a throwaway container with the same settings and passes its status through', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-run', ['mounts: [".:/src"]', 'env: {WHERE: image}'], {
      'host.txt': 'from host\n',
    });
    const result = await run(dir, env, ['run', '--', 'sh', '-c', 'cat /src/host.txt; echo "$WHERE"; exit 3']);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('from host\nimage');
    expect((await docker(['ps', '-a', '--filter', 'label=dev.devenv.run-of=cmd-run', '-q'])).stdout).toBe('');
    expect((await docker(['ps', '-a', '--filter', 'name=^cmd-run$', '-q'])).stdout).toBe('');
  });

  it('stop -t, status and ls report the state; --json gives one document', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-life', []);
    const up = await run(dir, env, ['up', '-d', '--json']);
    expect(JSON.parse(up.stdout)).toMatchObject({
      outcome: 'success',
      name: 'cmd-life',
      runtime: 'docker',
      action: 'created',
      built: true,
      attached: false,
    });
    const again = await run(dir, env, ['up', '-d', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'running', built: false });
    expect((await run(dir, env, ['stop', '-t', '1'])).exitCode).toBe(0);
    expect(JSON.parse((await run(dir, env, ['status', '--json'])).stdout)).toMatchObject({
      name: 'cmd-life',
      state: 'exited',
      drift: 'none',
    });
    const list = JSON.parse((await run(dir, env, ['ls', '--json'])).stdout) as {
      name: string;
      state: string;
      project: string;
    }[];
    expect(list.find((e) => e.name === 'cmd-life')).toMatchObject({ state: 'exited', project: dir });
    expect((await run(dir, env, ['stop', '-t', 'soon'])).exitCode).toBe(2);
  });

  it('shell opens a second shell beside the main session, in a real terminal', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-shell', []);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    const shell = await TmuxSession.start('cmd-shell', `node ${CLI} shell`, { cwd: dir, env });
    sessions.push(shell);
    await shell.waitFor(/\/ # ?$/m);
    await shell.type('tty; exit 4\n');
    await shell.waitFor(/\[exit 4\]/);
    expect(await shell.screen()).toMatch(/\/dev\/pts\/\d+/);
    expect((await docker(['inspect', '--format', '{{.State.Running}}', 'cmd-shell'])).stdout).toBe('true');
  });

  it('--context reaches the engine through a docker context', async () => {
    const env = isolatedEnv();
    await execa('docker', ['context', 'create', 'devenv-test', '--docker', `host=${services.dockerHost}`], {
      env: { HOME: env['HOME'] },
      reject: false,
    });
    const dir = busyboxProject('cmd-context', []);
    const up = await run(dir, { ...env, DOCKER_HOST: '' }, ['--context', 'devenv-test', 'up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await docker(['inspect', '--format', '{{.State.Running}}', 'cmd-context'])).stdout).toBe('true');
  });

  it('a remote engine through DOCKER_HOST=tcp:// works; the proxy then travels as environment', async () => {
    const socket = services.dockerHost.replace(/^unix:\/\//, '');
    // Docker half-closes hijacked exec connections, so both sides must allow half-open sockets.
    const forwarder = net.createServer({ allowHalfOpen: true }, (client) => {
      const upstream = net.connect({ path: socket, allowHalfOpen: true });
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    const port = (forwarder.address() as net.AddressInfo).port;
    try {
      const env = isolatedEnv({ DOCKER_HOST: `tcp://127.0.0.1:${port}` });
      const dir = busyboxProject('cmd-remote', ['proxy: {http: "http://proxy.example:3128"}']);
      const up = await run(dir, env, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stderr).toContain(
        'the engine is remote, so the proxy variables are passed as container environment',
      );
      expect((await run(dir, env, ['exec', '--', 'sh', '-c', 'echo $HTTP_PROXY'])).stdout).toBe(
        'http://proxy.example:3128',
      );
    } finally {
      forwarder.close();
      await docker(['rm', '-f', 'cmd-remote']);
    }
  });

  it('--keep-state keeps the old container when the image changed', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-keep', []);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo precious > /root/work']);
    writeFileSync(
      path.join(dir, 'devenv.yml'),
      `${readFileSync(path.join(dir, 'devenv.yml'), 'utf8')}\nsteps: [{run: "echo 2 > /v"}]\n`,
    );
    const kept = await run(dir, env, ['up', '-d', '--keep-state']);
    expect(kept.exitCode).toBe(0);
    expect(kept.stderr).toContain(
      '--keep-state keeps the old container, which still runs the previous image',
    );
    expect((await run(dir, env, ['exec', '--', 'cat', '/root/work'])).stdout).toBe('precious');
    expect(JSON.parse((await run(dir, env, ['status', '--json'])).stdout)).toMatchObject({ drift: 'image' });
  });

  it('two ups at once make one container; the second waits for the first', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-race', ['steps: [{run: "sleep 1"}]']);
    const [a, b] = await Promise.all([run(dir, env, ['up', '-d']), run(dir, env, ['up', '-d'])]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    expect(`${a.stderr}${b.stderr}`).toMatch(/waiting for pid \d+ \(devenv up cmd-race\)/);
    expect((await docker(['ps', '-a', '--filter', 'name=^cmd-race$', '-q'])).stdout.split('\n')).toHaveLength(
      1,
    );
  });

  it('a rebuild removes the image it superseded; prune then finds nothing of this environment', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-prune', ['steps: [{run: "echo one > /v"}]']);
    expect((await run(dir, env, ['build'])).exitCode).toBe(0);
    const first = (await docker(['image', 'inspect', '--format', '{{.Id}}', 'devenv/cmd-prune:latest']))
      .stdout;
    writeFileSync(
      path.join(dir, 'devenv.yml'),
      readFileSync(path.join(dir, 'devenv.yml'), 'utf8').replace('echo one', 'echo two'),
    );
    const rebuilt = await run(dir, env, ['build']);
    expect(rebuilt.exitCode).toBe(0);
    expect(rebuilt.stderr).toContain('removed 1 superseded image of cmd-prune');
    expect((await docker(['image', 'inspect', first])).exitCode).not.toBe(0);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    const pruned = await run(dir, env, ['prune', '--json']);
    expect(pruned.exitCode).toBe(0);
    expect((JSON.parse(pruned.stdout) as { removed: string[] }).removed.join(' ')).not.toContain('cmd-prune');
    expect((await docker(['image', 'inspect', 'devenv/cmd-prune:latest'])).exitCode).toBe(0);
  });
});
