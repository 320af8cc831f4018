/**
 * The launcher (src/launch.ts): the compiled build runs with a V8 code cache in the user's cache
 * folder, which is used only when it is ours, unchanged and accepted, and written again otherwise;
 * the TUI and `DEVENV_ESM=1` take the ES-module build; the container monitor has a cache of its own.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, devenv } from '../helpers/cli.js';
import { makeProject, removeProject } from '../helpers/project.js';

const MAGIC = 'devenv v8 code cache 2\n';
/** A command's cache: the magic line, then V8's data. A packages cache: its SHA-256 line first. */
const HEADER = MAGIC.length;
const PACKAGES_HEADER = MAGIC.length + 65;
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

/** A fresh cache home and the folder the launcher keeps its cache in. */
function cacheHome(): { env: Record<string, string>; folder: string } {
  const home = makeProject({});
  dirs.push(home);
  return {
    env: { HOME: home, XDG_CACHE_HOME: path.join(home, 'cache') },
    folder: path.join(home, 'cache', 'devenv'),
  };
}

/** The one cache file in `folder` that the command `key` made (`other` for `--version`). */
function cacheFile(folder: string, key = 'other'): string {
  const files = readdirSync(folder).filter((name) => name.endsWith(`-${key}.v8`));
  expect(files).toHaveLength(1);
  return path.join(folder, files[0] as string);
}

/**
 * V8's checksum of its cached data, as V8 makes and checks it under `--verify-snapshot-checksum`:
 * an Adler-32 started from 0 of everything after V8's 24-byte header, stored at byte 20 of it.
 */
const V8_HEADER = 24;
const V8_CHECKSUM_AT = 20;
function v8Checksum(data: Buffer): number {
  let a = 0;
  let b = 0;
  for (let i = V8_HEADER; i < data.length; i++) {
    a = (a + (data[i] ?? 0)) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Whether a command's cache `file` holds the magic line and V8's data with its checksum. */
function whole(file: string): boolean {
  const data = readFileSync(file);
  const payload = data.subarray(HEADER);
  return (
    data.toString('latin1', 0, HEADER) === MAGIC &&
    payload.length > V8_HEADER &&
    payload.readUInt32LE(V8_CHECKSUM_AT) === v8Checksum(payload)
  );
}

/** `file`'s V8 data with bytes in its middle changed, under a checksum V8 takes: V8 would crash on it. */
function poisoned(file: string): Buffer {
  const payload = Buffer.from(readFileSync(file).subarray(HEADER));
  // A quarter of the data, from its middle: 400 bytes there crashed V8 or not depending on what
  // the build put there (3 of 5 places in one build), 40 KB in each of 5 places tried.
  const middle = Math.floor(payload.length / 2);
  const end = middle + Math.floor(payload.length / 4);
  for (let i = middle; i < end; i++) payload[i] = (payload[i] ?? 0) ^ 0x5a;
  payload.writeUInt32LE(v8Checksum(payload), V8_CHECKSUM_AT);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), payload]);
}

async function version(env: Record<string, string>) {
  const result = await devenv(['--version'], { env });
  expect(result.stderr).toBe('');
  expect(result.stdout.trim()).toBe(VERSION);
  return result;
}

describe('the code cache', () => {
  it('is written once, private, whole, and then used as it is', async () => {
    const { env, folder } = cacheHome();
    await version(env);
    const file = cacheFile(folder);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(whole(file)).toBe(true);
    const before = statSync(file);
    await version(env);
    // A cache V8 rejects (or one the launcher distrusts) is written again, under a new inode.
    const after = statSync(cacheFile(folder));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('is kept per command, and the caches of another build go when one is written', async () => {
    const { env, folder } = cacheHome();
    await version(env);
    const other = statSync(cacheFile(folder));
    mkdirSync(folder, { recursive: true });
    const stale = path.join(folder, 'cli-v1.0.0-x64-1-1-exec.v8');
    writeFileSync(stale, 'old build', { mode: 0o600 });
    await devenv(['validate', '-f', path.join(folder, 'missing.yml')], { env });
    expect(whole(cacheFile(folder, 'validate'))).toBe(true);
    expect(existsSync(stale)).toBe(false);
    // The other command's cache of this build stays as it was.
    const still = statSync(cacheFile(folder));
    expect([still.ino, still.mtimeMs]).toEqual([other.ino, other.mtimeMs]);
  });

  it('is not written by a run that left the hot path; the next run on it writes it', async () => {
    const { env, folder } = cacheHome();
    const dir = makeProject({ 'devenv.yml': 'name: launcher-hot\nbase: alpine:3.20\nruntime: docker\n' });
    dirs.push(dir);
    // The plan cache trusts no stat younger than 2 s.
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, 'devenv.yml'), past, past);
    // Docker is pointed where nothing listens: exec gets as far as its first call to the engine.
    const run = { cwd: dir, env: { ...env, DOCKER_HOST: `unix://${path.join(folder, 'none.sock')}` } };
    const exec = () => devenv(['exec', '--', 'true'], run);
    // The first exec loads devenv.yml in full (a plan cache miss): its code stays out of the cache,
    // and only the packages it required are kept.
    expect((await exec()).stderr).toContain('Docker daemon is not running');
    expect(readdirSync(folder).filter((name) => name.endsWith('-exec.v8'))).toEqual([]);
    expect(readdirSync(folder).filter((name) => name.endsWith('-exec.packages.v8'))).toHaveLength(1);
    // The second is a plan cache hit, on the hot path: it writes the cache.
    expect((await exec()).stderr).toContain('Docker daemon is not running');
    expect(whole(cacheFile(folder, 'exec'))).toBe(true);
  });

  it('is written again when its bytes changed or it was cut short, and never crashes the command', async () => {
    const { env, folder } = cacheHome();
    await version(env);
    const file = cacheFile(folder);
    const good = readFileSync(file);

    const damaged = Buffer.from(good);
    for (let i = HEADER + 1000; i < HEADER + 1400; i++) damaged[i] = (damaged[i] ?? 0) ^ 0x5a;
    writeFileSync(file, damaged);
    await version(env);
    expect(whole(cacheFile(folder))).toBe(true);

    writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)));
    await version(env);
    expect(whole(cacheFile(folder))).toBe(true);
    expect(readFileSync(cacheFile(folder)).length).toBeGreaterThan(good.length / 2);
  });

  it('is not read from a folder others may write to', async () => {
    const { env, folder } = cacheHome();
    await version(env);
    const file = cacheFile(folder);
    const poison = poisoned(file);

    // Control: in our own folder, a cache with a matching digest is trusted, and V8 dies on this one.
    writeFileSync(file, poison);
    const used = await devenv(['--version'], { env });
    expect(used.exitCode).not.toBe(0);

    writeFileSync(file, poison);
    chmodSync(folder, 0o777);
    await version(env);
    // Neither read nor replaced: the launcher writes no cache into such a folder either.
    expect(readFileSync(file).equals(poison)).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)(
    'is not read when another user owns it (needs root for chown)',
    async () => {
      const { env, folder } = cacheHome();
      await version(env);
      const file = cacheFile(folder);
      writeFileSync(file, poisoned(file));
      chownSync(file, 65534, 65534);
      await version(env);
      // Replaced by one of ours.
      expect(statSync(cacheFile(folder)).uid).toBe(0);
      expect(whole(cacheFile(folder))).toBe(true);
    },
  );

  it('is not kept in a relative XDG_CACHE_HOME, and then lives under ~/.cache', async () => {
    const { env } = cacheHome();
    await version({ ...env, XDG_CACHE_HOME: 'relative' });
    expect(whole(cacheFile(path.join(env['HOME'] as string, '.cache', 'devenv')))).toBe(true);
  });
});

describe("the container monitor's code cache", () => {
  /** `devenv.cjs __monitor` for a container that does not exist, with its report channel on fd 3. */
  function monitor(env: Record<string, string>): { status: number | null; report: string; stderr: string } {
    const result = spawnSync(
      process.execPath,
      [CLI, '__monitor', path.join(env['HOME'] ?? '/', 'no-store'), '0000'],
      {
        env: { ...env, PATH: process.env['PATH'] },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        timeout: 60_000,
      },
    );
    return { status: result.status, report: String(result.output[3]), stderr: String(result.stderr) };
  }

  it("is the monitor's own: written by its run, left by a command's, and it leaves theirs", async () => {
    const { env, folder } = cacheHome();
    await version(env);
    const cli = statSync(cacheFile(folder));
    mkdirSync(folder, { recursive: true });
    const stale = path.join(folder, 'monitor-v1.0.0-x64-1-1-monitor.v8');
    writeFileSync(stale, 'old build', { mode: 0o600 });
    const run = monitor(env);
    expect(run.status).toBe(1);
    expect(run.report).toMatch(/^fail\t\{"code":"DEVENV_NOT_FOUND","message":"no such container: 0000"/);
    const own = cacheFile(folder, 'monitor');
    expect(path.basename(own)).toMatch(/^monitor-v/);
    expect(whole(own)).toBe(true);
    // An earlier build's monitor cache goes; the CLI's cache of this build stays as it was.
    expect(existsSync(stale)).toBe(false);
    const still = statSync(cacheFile(folder));
    expect([still.ino, still.mtimeMs]).toEqual([cli.ino, cli.mtimeMs]);
    // A command that writes its cache leaves the monitor's.
    const before = statSync(own);
    await devenv(['validate', '-f', path.join(folder, 'missing.yml')], { env });
    expect(whole(cacheFile(folder, 'validate'))).toBe(true);
    const after = statSync(cacheFile(folder, 'monitor'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('refuses to run without its report channel, instead of writing into a descriptor of its own', () => {
    const { env } = cacheHome();
    const result = spawnSync(process.execPath, [CLI, '__monitor', '/nonexistent', '0000'], {
      env: { ...env, PATH: process.env['PATH'] },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(String(result.stderr)).toContain('reads its report on descriptor 3');
  });
});

describe('the cache of the packages a command requires', () => {
  const example = fileURLToPath(new URL('../../examples/alpine/devenv.yml', import.meta.url));
  const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

  /** `validate`, which requires yaml and zod from node_modules. */
  async function validate(env: Record<string, string>) {
    const result = await devenv(['validate', '-f', example], { env });
    expect(result.exitCode, result.stderr).toBe(0);
  }

  function packagesFile(folder: string, key: string): string {
    const files = readdirSync(folder).filter((name) => name.endsWith(`-${key}.packages.v8`));
    expect(files).toHaveLength(1);
    return path.join(folder, files[0] as string);
  }

  /** The entries of a packages cache: file name → source digest and V8 data. */
  function entriesOf(file: string): Map<string, { digest: string; data: Buffer }> {
    const payload = readFileSync(file).subarray(PACKAGES_HEADER);
    const entries = new Map<string, { digest: string; data: Buffer }>();
    let at = 4;
    for (let count = payload.readUInt32LE(0); count > 0; count--) {
      const nameLength = payload.readUInt32LE(at);
      const name = payload.toString('utf8', at + 4, at + 4 + nameLength);
      at += 4 + nameLength;
      const digest = payload.toString('latin1', at, at + 64);
      const dataLength = payload.readUInt32LE(at + 64);
      entries.set(name, { digest, data: payload.subarray(at + 68, at + 68 + dataLength) });
      at += 68 + dataLength;
    }
    expect(at).toBe(payload.length);
    return entries;
  }

  /** Whether a packages cache holds the magic line, the SHA-256 of its entries, and V8's checksum in each. */
  function wholePackages(file: string): boolean {
    const data = readFileSync(file);
    if (data.toString('latin1', 0, PACKAGES_HEADER) !== `${MAGIC}${sha256(data.subarray(PACKAGES_HEADER))}\n`)
      return false;
    return [...entriesOf(file).values()].every(
      (entry) => entry.data.readUInt32LE(V8_CHECKSUM_AT) === v8Checksum(entry.data),
    );
  }

  function writeEntries(file: string, entries: Map<string, { digest: string; data: Buffer }>): void {
    const u32 = (value: number) => {
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32LE(value);
      return buffer;
    };
    const parts: Buffer[] = [u32(entries.size)];
    for (const [name, { digest, data }] of entries) {
      const nameBytes = Buffer.from(name);
      parts.push(u32(nameBytes.length), nameBytes, Buffer.from(digest, 'latin1'), u32(data.length), data);
    }
    const payload = Buffer.concat(parts);
    writeFileSync(file, Buffer.concat([Buffer.from(`${MAGIC}${sha256(payload)}\n`, 'latin1'), payload]));
  }

  it('holds each module under the digest of its source, is private and whole, and is then used as it is', async () => {
    const { env, folder } = cacheHome();
    await version(env);
    // A command that requires no package leaves no such cache.
    expect(readdirSync(folder).filter((name) => name.endsWith('.packages.v8'))).toEqual([]);
    await validate(env);
    const file = packagesFile(folder, 'validate');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(wholePackages(file)).toBe(true);
    const entries = entriesOf(file);
    expect([...entries.keys()].some((name) => name.includes('/node_modules/yaml/'))).toBe(true);
    expect([...entries.keys()].some((name) => name.includes('/node_modules/zod/'))).toBe(true);
    for (const [name, { digest, data }] of entries) {
      expect(digest, name).toBe(sha256(readFileSync(name)));
      expect(data.length, name).toBeGreaterThan(0);
    }
    const before = statSync(file);
    await validate(env);
    const after = statSync(packagesFile(folder, 'validate'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('compiles a module from its source when the digest of its entry does not match, and writes the entry again', async () => {
    const { env, folder } = cacheHome();
    await validate(env);
    const file = packagesFile(folder, 'validate');
    const entries = entriesOf(file);
    const [name, entry] = [...entries].find(([module]) => module.includes('/node_modules/yaml/')) ?? [];
    if (name === undefined || entry === undefined) throw new Error('no yaml module in the cache');
    // V8 itself would take this data: the source it was made from is the one on disk.
    entries.set(name, { digest: sha256('another version of the module'), data: entry.data });
    writeEntries(file, entries);
    await validate(env);
    expect(entriesOf(packagesFile(folder, 'validate')).get(name)?.digest).toBe(entry.digest);
  });

  it('is written again when its bytes changed, and never crashes the command', async () => {
    const { env, folder } = cacheHome();
    await validate(env);
    const file = packagesFile(folder, 'validate');
    const damaged = readFileSync(file);
    for (let i = PACKAGES_HEADER + 1000; i < PACKAGES_HEADER + 1400; i++)
      damaged[i] = (damaged[i] ?? 0) ^ 0x5a;
    writeFileSync(file, damaged);
    await validate(env);
    expect(wholePackages(packagesFile(folder, 'validate'))).toBe(true);
  });
});

describe('the two builds', () => {
  it('DEVENV_ESM=1 runs the ES-module build, with no cache', async () => {
    const { env, folder } = cacheHome();
    await version({ ...env, DEVENV_ESM: '1' });
    mkdirSync(folder, { recursive: true });
    expect(readdirSync(folder)).toEqual([]);
  });

  it("DEVENV_DEBUG=1 runs the ES-module build: a bug's stack trace names the source's functions", async () => {
    // The compiled build's names are minified (scripts/bundle.mjs); a trace from it would read `at Xe`.
    const { env, folder } = cacheHome();
    const project = makeProject({ 'devenv.yml': 'name: debug-trace\nbase: busybox:latest\nnetwork: none\n' });
    dirs.push(project);
    const args = ['-C', project, '--runtime', 'embedded', '--root', path.join(project, 'store'), 'up', '-d'];
    const failpoint = { DEVENV_FAILPOINTS: 'env.lock.held:throw=EBUG' };
    const debug = await devenv(args, { env: { ...env, ...failpoint, DEVENV_DEBUG: '1' } });
    expect(debug.stderr).toContain('devenv hit a bug: EBUG: injected at failpoint env.lock.held');
    expect(debug.stderr).toMatch(/^ +at failpoint \(/m);
    expect(debug.stderr).toMatch(/^ +at async up \(/m);
    mkdirSync(folder, { recursive: true });
    expect(readdirSync(folder)).toEqual([]);

    const plain = await devenv(args, { env: { ...env, ...failpoint } });
    expect(plain.stderr).toContain('run again with DEVENV_DEBUG=1 for the stack trace');
    expect(plain.stderr).not.toMatch(/^ +at /m);
  });

  it('without the compiled build (a partial install), the ES-module build runs', async () => {
    const { env, folder } = cacheHome();
    const copy = makeProject({});
    dirs.push(copy);
    const dist = path.dirname(CLI);
    cpSync(path.join(dist, 'devenv.cjs'), path.join(copy, 'dist', 'devenv.cjs'));
    cpSync(path.join(dist, 'chunks'), path.join(copy, 'dist', 'chunks'), { recursive: true });
    rmSync(path.join(copy, 'dist', 'chunks', 'cli.cjs'));
    cpSync(path.join(dist, '..', 'package.json'), path.join(copy, 'package.json'));
    symlinkSync(path.join(dist, '..', 'node_modules'), path.join(copy, 'node_modules'));
    const result = await execa(process.execPath, [path.join(copy, 'dist', 'devenv.cjs'), '--version'], {
      env,
      reject: false,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(VERSION);
    mkdirSync(folder, { recursive: true });
    expect(readdirSync(folder)).toEqual([]);
  });

  it('the TUI comes from the ES-module build; dist/cli.js runs the launcher', async () => {
    const { env, folder } = cacheHome();
    const help = await devenv(['tui', '--help'], { env });
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: devenv tui');
    mkdirSync(folder, { recursive: true });
    expect(readdirSync(folder)).toEqual([]);

    const shim = path.join(path.dirname(CLI), 'cli.js');
    const result = await execa(process.execPath, [shim, '--version'], { env, reject: false });
    expect(result.stdout.trim()).toBe(VERSION);
    expect(whole(cacheFile(folder))).toBe(true);
  });
});
