/**
 * `--progress=json` on a real command: `devenv pull` on the embedded runtime from a registry on
 * loopback, run through `main`. Every line of stderr is one JSON event, stdout holds only the result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/main.js';
import { FakeRegistry, sha256 } from '../../runtime/embedded/registry/helpers/fake-registry.js';

const dirs: string[] = [];
let registry: FakeRegistry | undefined;
afterEach(async () => {
  await registry?.close();
  registry = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function layerTar(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'hello.txt', mode: 0o644 }, 'hello\n'.repeat(20_000));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `repo:tag` on `r`: one uncompressed layer holding hello.txt. */
async function addImage(r: FakeRegistry, repo: string, tag: string): Promise<number> {
  const bytes = await layerTar();
  const layer = r.addBlob(bytes, 'application/vnd.oci.image.layer.v1.tar');
  const config = r.addBlob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [sha256(bytes)] },
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  r.addManifest(repo, tag, { schemaVersion: 2, mediaType, config, layers: [layer] }, mediaType);
  return bytes.length;
}

async function runMain(argv: string[]) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'devenv-progress-json-'));
  dirs.push(home);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const status = await main({
    argv: ['--runtime', 'embedded', '--root', path.join(home, 'store'), ...argv],
    cwd: home,
    env: { HOME: home, XDG_STATE_HOME: path.join(home, 'state'), XDG_CONFIG_HOME: path.join(home, 'config') },
    homeDir: home,
    hostUser: { name: 'u', uid: 1000, gid: 1000 },
    arch: 'x64',
    platform: 'linux',
    stdin: new PassThrough(),
    stdout,
    stderr,
    version: '0.0.0',
    signal: new AbortController().signal,
  });
  return { status, stdout: out, stderr: err };
}

describe('--progress=json', { timeout: 60_000 }, () => {
  it('pull: one parseable event a line on stderr (job, bytes with their total, done), the result alone on stdout', async () => {
    registry = await FakeRegistry.start();
    const size = await addImage(registry, 'team/app', '1');
    const ref = `${registry.address}/team/app:1`;
    const run = await runMain(['pull', ref, '--json', '--progress=json']);
    expect(run.stderr, run.stderr).not.toBe('');
    const events = run.stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; [key: string]: unknown });
    expect(run.status, run.stderr).toBe(0);
    expect(events[0]).toEqual({ type: 'job:start', kind: 'pull', label: ref });
    expect(events.at(-1)).toEqual({ type: 'job:end', kind: 'pull', label: ref, ok: true });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'transfer:progress', phase: 'download', current: size, total: size }),
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'transfer:done', phase: 'download' }));
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'success', ref });
  });

  it('a failed pull ends its job with the error code, and the error itself is a JSON line', async () => {
    registry = await FakeRegistry.start();
    const ref = `${registry.address}/team/missing:1`;
    const run = await runMain(['pull', ref, '--progress=json']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const events = run.stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; [key: string]: unknown });
    expect(events).toContainEqual(expect.objectContaining({ type: 'job:end', kind: 'pull', ok: false }));
    expect(events.at(-1)).toMatchObject({ type: 'error' });
  });

  it('an unknown mode is a usage error naming the choices', async () => {
    const run = await runMain(['pull', 'x', '--progress=fancy']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--progress must be one of auto, tty, plain, json, quiet, not "fancy"');
  });
});
