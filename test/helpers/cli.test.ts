/**
 * The CLI helper itself: a run that outlives its timeout is stopped, and its stderr shows the
 * processes it had (with the kernel function each waited in), so a hang in CI can be diagnosed.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devenv } from './cli.js';
import { makeProject, removeProject } from './project.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

describe('devenv (test helper)', () => {
  it('stops a run that outlives its timeout and reports its process tree', async () => {
    const project = makeProject({ 'devenv.yml': 'name: helper-hang\nbase: busybox:latest\nnetwork: none\n' });
    dirs.push(project);
    const args = ['-C', project, '--runtime', 'embedded', '--root', path.join(project, 'store'), 'up', '-d'];
    // The environment lock is taken before anything needs a registry; the failpoint holds it.
    const env = { HOME: project, DEVENV_FAILPOINTS: 'env.lock.held:sleep=600000' };
    const started = Date.now();
    const run = await devenv(args, { env, timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(run.exitCode).toBe(-1);
    expect(run.stderr).toContain('was stopped after 5000 ms');
    // The CLI's own process, with its state and wait channel columns.
    expect(run.stderr).toMatch(/^ {2}\d+ +\d+ +\d+ +\S+ +\S+ +\S*node \S*devenv\.cjs -C /m);
  });

  it('leaves a run that ends in time as it was', async () => {
    const run = await devenv(['--version'], { timeout: 60_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  });
});
