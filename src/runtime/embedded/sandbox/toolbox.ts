/**
 * The toolbox (docs/embedded-runtime.md#exec): a read-only folder at /dev/.devenv in every sandbox
 * holding the host's `setpriv` and `unshare`, their dynamic loader and libraries, and `tini`. An
 * exec uses it to drop to the user and capabilities it asks for *after* it has entered the
 * container, without running any program of the image with privileges and without ever standing
 * in the host's root directory where the container's processes could see it:
 *
 * nsenter enters the container's namespaces, makes the toolbox its root directory and the
 * container's root its working directory, then runs `setpriv` (groups, capability bounding set)
 * and `unshare --root=.` (enters the container's root, switches the uid) from the toolbox, through
 * the toolbox's own loader. Paths those two open (their libraries, /etc/ld.so.preload, anything an
 * LD_PRELOAD in the image's environment names) resolve inside the read-only toolbox, never in the
 * image, so the image cannot inject code into a process that still holds every capability.
 */
import { open } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { promisify } from 'node:util';
import { DevenvError } from '../../../errors.js';
import { childProcess } from '../../../util/child-process.js';
import { boundingSetArg } from './capabilities.js';
import { findOnPath } from './find-on-path.js';
import { HOST_PATH } from './host-tools.js';
import type { HostTools } from './host-tools.js';
import type { ResolvedUser } from './user.js';

/** The toolbox's place in the root (no leading slash). */
export const TOOLBOX_DIR = 'dev/.devenv';

/** The name the loader has in the toolbox. */
const LOADER = 'ld.so';

/** A host file bound into the toolbox under `name`. */
export interface ToolboxFile {
  name: string;
  source: string;
}

/** The most of an ELF file read to find its interpreter: the header and program headers fit. */
const ELF_HEAD_BYTES = 64 * 1024;

/**
 * The program interpreter (dynamic loader) an ELF executable names in its PT_INTERP header, or
 * undefined for a static or non-ELF file. Read from the file, as the kernel does at exec.
 */
export async function elfInterpreter(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(ELF_HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const wide = head[4] === 2; // ELFCLASS64
  const little = head[5] === 1; // ELFDATA2LSB
  const u16 = (at: number) => (little ? head.readUInt16LE(at) : head.readUInt16BE(at));
  const u32 = (at: number) => (little ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const word = (at: number) =>
    wide ? Number(little ? head.readBigUInt64LE(at) : head.readBigUInt64BE(at)) : u32(at);
  const fits = (at: number, length: number) => at >= 0 && at + length <= head.length;
  if (!fits(0, wide ? 64 : 52)) return undefined;
  const phoff = word(wide ? 0x20 : 0x1c);
  const phentsize = u16(wide ? 0x36 : 0x2a);
  const phnum = u16(wide ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (!fits(at, wide ? 56 : 32)) return undefined;
    if (u32(at) !== 3) continue; // PT_INTERP
    const offset = word(at + (wide ? 8 : 4));
    const size = word(at + (wide ? 32 : 16));
    if (size < 2 || !fits(offset, size)) return undefined;
    const name = head.toString('latin1', offset, offset + size).replace(/\0+$/, '');
    return path.isAbsolute(name) && !name.includes('\0') ? name : undefined;
  }
  return undefined;
}

/**
 * The loader and libraries of `binary`: its interpreter, asked to list what it would load (what
 * `ldd` does through a script that starts the loader three more times), with an empty environment.
 */
async function dynamicDeps(binary: string): Promise<{ loader?: string; libs: string[] }> {
  const interpreter = await elfInterpreter(binary);
  if (interpreter === undefined) return { libs: [] };
  const { stdout } = await promisify(childProcess().execFile)(interpreter, ['--list', binary], { env: {} });
  const libs: string[] = [];
  let loader: string | undefined;
  for (const line of stdout.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow?.[1] !== undefined) libs.push(arrow[1]);
    else {
      const bare = /^\s*(\/\S+)\s+\(/.exec(line);
      if (bare?.[1] !== undefined) loader = bare[1];
    }
  }
  return { loader: loader ?? interpreter, libs };
}

let cached: Promise<ToolboxFile[]> | undefined;

/** The toolbox's files on this host: `setpriv`, `unshare`, their loader and libraries. */
export function toolboxFiles(tools: HostTools): Promise<ToolboxFile[]> {
  return (cached ??= findToolboxFiles(tools));
}

async function findToolboxFiles(tools: HostTools): Promise<ToolboxFile[]> {
  const script = await findOnPath('script', { PATH: HOST_PATH });
  const binaries = [tools.setpriv, tools.unshare, tools.env, ...(script === undefined ? [] : [script])];
  const deps = await Promise.all(binaries.map(dynamicDeps));
  const loader = deps.find((dep) => dep.loader !== undefined)?.loader;
  if (loader === undefined)
    throw new DevenvError('DEVENV_RUNTIME_MISSING', `cannot find the dynamic loader of ${tools.setpriv}`, {
      hint: 'the embedded runtime needs dynamically linked util-linux tools, whose loader lists their libraries (ld.so --list)',
    });
  const files = new Map<string, string>([
    ['setpriv', tools.setpriv],
    ['unshare', tools.unshare],
    ['env', tools.env],
    ...(script === undefined ? [] : [['script', script] as [string, string]]),
    [LOADER, loader],
  ]);
  for (const lib of deps.flatMap((dep) => dep.libs)) files.set(path.basename(lib), lib);
  return [...files].map(([name, source]) => ({ name, source }));
}

/**
 * The last step into the program, once the process stands in the container's root as its user:
 * the toolbox's `env` sets the program's environment. Everything before it ran with an empty one,
 * so an `LD_PRELOAD` or `LD_LIBRARY_PATH` of the image never reaches a tool that still holds
 * privileges, while the program gets it as Docker gives it.
 */
export function toolboxEnvCommand(env: readonly string[]): string[] {
  const box = `/${TOOLBOX_DIR}`;
  return [`${box}/${LOADER}`, '--inhibit-cache', '--library-path', box, `${box}/env`, '-i', '--', ...env];
}

/** `argv` quoted for the image's /bin/sh. */
function shellWords(argv: readonly string[]): string {
  return argv.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
}

/**
 * The command an exec runs once nsenter has made the toolbox its root and the container's root its
 * working directory: groups and bounding set, then the root change and the uid, then the program's
 * environment, then `command`. With `tty`, the toolbox's `script` (already the container's user, in
 * its root) gives the command a pty of the container's own devpts, so `tty` names it as on Docker;
 * the caller's side of that pty is itself a private pty on the host, never the user's terminal.
 */
export function toolboxCommand(
  user: ResolvedUser,
  capabilities: readonly string[] | 'all',
  workdir: string,
  env: readonly string[],
  command: readonly string[],
  tty = false,
): string[] {
  const run = (tool: string) => [`/${LOADER}`, '--inhibit-cache', '--library-path', '/', `/${tool}`];
  const box = `/${TOOLBOX_DIR}`;
  const program = [...toolboxEnvCommand(env), ...command];
  return [
    ...run('setpriv'),
    `--regid=${user.gid}`,
    user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups',
    '--inh-caps=-all',
    `--bounding-set=${capabilities === 'all' ? '+all' : boundingSetArg(capabilities, user.uid)}`,
    '--',
    ...run('unshare'),
    '--root=.',
    `--wd=${workdir}`,
    ...(user.uid === 0 ? [] : [`--setuid=${user.uid}`]),
    '--',
    ...(tty
      ? [
          `${box}/${LOADER}`,
          '--inhibit-cache',
          '--library-path',
          box,
          `${box}/script`,
          '--quiet',
          '--flush',
          '--return',
          '--echo',
          'never',
          '--command',
          `exec ${shellWords(program)}`,
          '/dev/null',
        ]
      : program),
  ];
}
