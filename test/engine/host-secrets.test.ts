/**
 * The host files that hold credentials (the proxy env file and the X11 cookie) exist only while the
 * environment's container does: a failed create takes them back, and so does `rm` (the e2e in
 * test/e2e/docker/secrets.test.ts checks `rm -f` on a real engine).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DevenvConfigSchema } from '../../src/config/schema.js';
import { createEnvContainer } from '../../src/engine/container.js';
import type { EngineContext } from '../../src/engine/engine-context.js';
import { removeHostSecrets } from '../../src/engine/host-files.js';
import { compilePlan } from '../../src/plan/compile-plan.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { removeProject } from '../helpers/project.js';
import { fixedContext } from '../helpers/plan-context.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

function stateDir(files: string[] = []): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-state-')), 'envs', 'demo');
  dirs.push(path.dirname(path.dirname(dir)));
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(path.join(dir, file), 'x');
  return dir;
}

describe('removeHostSecrets', () => {
  it('removes the env file, the cookie and hook markers, and keeps caches', async () => {
    const dir = stateDir(['env', 'xauth', 'xauth.new', 'created-hooks-0123456789abcdef', 'shell.json']);
    await removeHostSecrets(dir);
    expect(readdirSync(dir)).toEqual(['shell.json']);
  });

  it('is content when the state folder does not exist', async () => {
    await expect(removeHostSecrets(path.join(stateDir(), 'missing'))).resolves.toBeUndefined();
  });
});

describe('createEnvContainer', () => {
  it('takes the secret env file back when the runtime fails to create the container', async () => {
    const dir = stateDir();
    const config = DevenvConfigSchema.parse({
      base: 'alpine',
      proxy: { http: 'http://user:CANARY@127.0.0.1:9' },
    });
    const spec = compilePlan({ ...config, name: 'demo' }, await fixedContext('demo')).run;
    let written = false;
    // Only the two calls creating makes; a refusal from the engine is the fault under test.
    const runtime = {
      name: 'docker',
      seesHostFiles: () => Promise.resolve(true),
      createContainer: (_spec: unknown, secretFile: string | undefined) => {
        written = secretFile !== undefined && existsSync(secretFile);
        return Promise.reject(new Error('the engine refused the container'));
      },
    } as unknown as Runtime;
    const ctx = { runtime, env: {}, onEvent: () => undefined } as unknown as EngineContext;
    const image = { id: 'sha256:1', tags: [], labels: {}, entrypoint: null, cmd: null, env: [] };
    await expect(createEnvContainer(ctx, spec, dir, 'devenv/demo:latest', image)).rejects.toThrow(
      'the engine refused the container',
    );
    expect(written).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });
});
