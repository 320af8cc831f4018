/**
 * The Docker-only part of the command surface: no run container left (seen by its label), --context,
 * a remote engine through DOCKER_HOST, and prune of superseded images. What every runtime does alike (hooks, run, start/stop/restart, shell,
 * --json results, --keep-state, two concurrent ups) is in test/e2e/conformance/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { busyboxProject, docker, noDocker, isolatedEnv, run, services } from './env.js';

afterAll(async () => {
  await docker(['rm', '-f', 'cmd-context', 'cmd-prune']);
});

describe.skipIf(noDocker)('devenv commands on Docker', () => {
  // `ls` lists environments only, so it cannot show a throwaway container left behind; its label can.
  it('run leaves no container behind, found by its run-of label', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('cmd-run', []);
    expect((await run(dir, env, ['run', '--', 'sh', '-c', 'exit 3'])).exitCode).toBe(3);
    expect((await docker(['ps', '-a', '--filter', 'label=dev.devenv.run-of=cmd-run', '-q'])).stdout).toBe('');
    expect((await docker(['ps', '-a', '--filter', 'name=^cmd-run$', '-q'])).stdout).toBe('');
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
