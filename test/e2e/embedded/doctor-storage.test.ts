/**
 * `devenv doctor` on this host and store, and `devenv storage move`: the store moves, the settings
 * file names the new place (its comments kept), every image is still there, and the refusals (a
 * non-empty target, a target inside the store, a store in use) change nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { cleanupSandboxes, devenv, devenvJson, layeredImage, noRegistry, sandbox, services } from './env.js';
import type { ListedImage, Sandbox } from './env.js';

afterAll(cleanupSandboxes);

interface DoctorReport {
  outcome: string;
  runtime: string;
  store: { root: string; source: string; issues: unknown[] };
  checks: { section: string; name: string; status: string; detail: string }[];
}

function withSettings(box: Sandbox, storage: string): string {
  const file = path.join(box.home, '.config', 'devenv', 'config.yml');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `# my machine\nruntime: embedded # images without a daemon\nstorage: ${storage}\n`);
  return file;
}

describe.skipIf(noRegistry)('embedded runtime: doctor and storage move', () => {
  it('doctor --json on a store with images: nothing fails, the store is clean, exit 0', async () => {
    const box = sandbox();
    expect((await devenv(box, ['pull', services.busyboxImage])).exitCode).toBe(0);
    const run = await devenv(box, ['doctor', '--json']);
    expect(run.exitCode, run.stdout).toBe(0);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report).toMatchObject({
      outcome: 'ok',
      runtime: 'embedded',
      store: { root: box.root, source: 'flag', issues: [] },
    });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    const names = report.checks.filter((c) => c.section === 'embedded').map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['Linux', 'overlayfs', 'mount namespaces', 'unshare', 'tini']),
    );
    expect(report.checks.find((c) => c.name === 'consistency')).toMatchObject({ status: 'ok' });
    // Without DOCKER_HOST the default socket is unreachable: only a warning for an embedded user.
    expect(report.checks.find((c) => c.section === 'docker' && c.name === 'daemon')?.status).not.toBe('fail');
    const human = await devenv(box, ['doctor']);
    expect(human.stdout).toMatch(/^store\n {2}ok {4}location {10}.*\(from --root\)$/m);
  });

  it('doctor fails on a damaged store and --repair fixes it', async () => {
    const box = sandbox();
    expect((await devenv(box, ['pull', services.busyboxImage])).exitCode).toBe(0);
    writeFileSync(
      path.join(box.root, 'refs.json'),
      '{"version":1,"refs":{"docker.io/library/x:1":"sha256:' + 'a'.repeat(64) + '"}}\n',
    );
    const broken = await devenv(box, ['doctor']);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toMatch(/fail {2}consistency {7}1 problem:/);
    expect(broken.stdout).toContain('hint: run devenv doctor --repair');
    const repaired = await devenv(box, ['doctor', '--repair', '--json']);
    expect(repaired.exitCode, repaired.stdout).toBe(0);
    expect((JSON.parse(repaired.stdout) as { repair: { actions: string[] } }).repair.actions).toEqual([
      expect.stringContaining('dropped tag docker.io/library/x:1'),
    ]);
  });

  it('storage move: images follow, the settings file names the new place, comments kept', async () => {
    const box = sandbox();
    const from = path.join(box.dir, 'hdd', 'devenv');
    const to = path.join(box.dir, 'ssd', 'devenv');
    const file = withSettings(box, from);
    expect((await devenv(box, ['pull', services.busyboxImage], { bare: true })).exitCode).toBe(0);
    expect(existsSync(path.join(from, 'refs.json'))).toBe(true);

    const moved = await devenv(box, ['storage', 'move', to, '--json'], { bare: true });
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ outcome: 'success', from, to, settings: file });
    expect(moved.stderr).toContain('verifying the copy');
    expect(readFileSync(file, 'utf8')).toBe(
      `# my machine\nruntime: embedded # images without a daemon\nstorage: ${to}\n`,
    );
    expect(existsSync(from)).toBe(false);
    const listed = await devenvJson<ListedImage[]>(box, ['images'], { bare: true });
    expect(listed.map((i) => i.tags)).toEqual([[services.busyboxImage]]);
    const doctor = JSON.parse(
      (await devenv(box, ['doctor', '--json'], { bare: true })).stdout,
    ) as DoctorReport;
    expect(doctor.store).toMatchObject({ root: to, source: 'settings', issues: [] });
  });

  it('storage move refuses a non-empty target, a target inside the store and a store in use', async () => {
    const box = sandbox();
    const from = path.join(box.dir, 'store-a');
    withSettings(box, from);
    expect((await devenv(box, ['pull', services.busyboxImage], { bare: true })).exitCode).toBe(0);
    const busy = path.join(box.dir, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'precious'), 'x');
    const full = await devenv(box, ['storage', 'move', busy], { bare: true });
    expect(full.exitCode).toBe(2);
    expect(full.stderr).toContain(`${busy} is not empty`);
    const inside = await devenv(box, ['storage', 'move', path.join(from, 'sub')], { bare: true });
    expect(inside.exitCode).toBe(2);
    expect(inside.stderr).toContain('one contains the other');
    const usage = await devenv(box, ['storage', 'shuffle', busy], { bare: true });
    expect(usage.exitCode).toBe(2);

    // A pull paused mid-download holds a lease on the store; 20 s leaves a busy machine time to start
    // `storage move` while it does.
    const pulling = execa(process.execPath, [CLI, 'pull', await layeredImage()], {
      cwd: box.dir,
      env: { ...box.env, DEVENV_FAILPOINTS: 'registry.blob.mid-stream:sleep=20000' },
      extendEnv: false,
      reject: false,
    });
    for (let i = 0; i < 600 && !(await leaseExists(from)); i++) await new Promise((r) => setTimeout(r, 100));
    const inUse = await devenv(box, ['storage', 'move', path.join(box.dir, 'elsewhere')], { bare: true });
    expect(inUse.exitCode).toBe(1);
    expect(inUse.stderr).toMatch(/cannot move the store while it is in use by pid \d+ \(pulling /);
    expect((await pulling).exitCode).toBe(0);
    expect(existsSync(path.join(box.dir, 'elsewhere'))).toBe(false);
    expect(readFileSync(path.join(box.home, '.config', 'devenv', 'config.yml'), 'utf8')).toContain(
      `storage: ${from}\n`,
    );
  });
});

async function leaseExists(root: string): Promise<boolean> {
  return (await readdir(path.join(root, 'leases')).catch(() => [])).some((n) => n.endsWith('.json'));
}
