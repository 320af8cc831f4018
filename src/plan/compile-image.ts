/**
 * Config → the instruction list of the generated Dockerfile: stages in dependency order, packages in
 * one cleaned-up layer, the user, build arguments, the steps, then metadata last so editing it is cheap.
 */
import path from '../util/node-path.js';
import { detectPackageManager, knownShell } from '../config/detect.js';
import type { Base, DevenvConfig, EnvValue, PackageManager, Step } from '../config/schema.js';
import type { ResolvedConfig } from '../config/validate.js';
import type { Instruction } from './dockerfile.js';
import { fitsShellForm } from './dockerfile.js';
import { installPackages } from './install-packages.js';
import { baseTag } from './naming.js';
import { shellJoin, shellQuote } from './quote.js';
import type { BasePrerequisite, Fragments, ImageUser, PlanContext } from './types.js';

/** The image half of the compilation, before digests and labels. */
export interface CompiledImage {
  instructions: Instruction[];
  prerequisites: BasePrerequisite[];
  contextPaths: string[];
  buildArgs: Record<string, string>;
  /** The image the final stage starts FROM. */
  base: string;
  /** The user the environment runs as, or undefined for root. */
  user: ImageUser | undefined;
  shell: string;
  /** True when the built image, not devenv.yml or the base's name, decides the shell. */
  shellFromImage: boolean;
}

/** Text form of an env or build-arg value. */
export function envText(value: EnvValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** Normalises a context-relative path (`./tools/` → `tools`). */
export function contextPath(value: string): string {
  const normal = path.posix.normalize(value).replace(/\/+$/, '');
  return normal === '' ? '.' : normal;
}

/** The user the environment runs as; `host` as root stays root. */
export function resolveUser(user: DevenvConfig['user'], host: ImageUser): ImageUser | undefined {
  if (user === 'root') return undefined;
  if (user === 'host') {
    if (host.uid === 0) return undefined;
    const name = /^[a-z_][a-z0-9_.-]{0,31}$/.test(host.name) ? host.name : 'dev';
    return { name, uid: host.uid, gid: host.gid };
  }
  return { name: user.name, uid: user.uid, gid: user.gid ?? user.uid };
}

/** The main command when the image decides the shell: bash where the image has it, else sh. */
export const PREFER_BASH_CMD: readonly string[] = [
  '/bin/sh',
  '-c',
  'exec "$(command -v bash || echo /bin/sh)"',
];

/** `shell` undefined: the login shell is bash where the image has it when the RUN runs, else sh. */
function createUser(fragments: Fragments, user: ImageUser, shell: string | undefined): Instruction {
  const values: Record<string, string> = {
    name: shellQuote(user.name),
    uid: String(user.uid),
    gid: String(user.gid),
    shell: shell === undefined ? '"$(command -v bash || echo /bin/sh)"' : shellQuote(shell),
  };
  return {
    kind: 'run-parts',
    parts: fragments.createUser.map((line) =>
      line.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? ''),
    ),
  };
}

function stepInstructions(steps: readonly Step[]): Instruction[] {
  return steps.map((step): Instruction => {
    if ('run' in step) {
      if (Array.isArray(step.run)) return { kind: 'run-exec', argv: step.run };
      return fitsShellForm(step.run)
        ? { kind: 'run', shell: step.run.trim() }
        : { kind: 'run-exec', argv: ['/bin/sh', '-c', step.run] };
    }
    const src = step.copy.from === undefined ? contextPath(step.copy.src) : step.copy.src;
    return {
      kind: 'copy',
      sources: [src],
      dest: step.copy.dest,
      from: step.copy.from,
      chown: step.copy.chown,
    };
  });
}

/** `FROM` image for a base, registering a prerequisite when the base is not a registry image. */
function fromImage(
  base: Base,
  name: string,
  stage: string | undefined,
  prerequisites: BasePrerequisite[],
): string {
  if (typeof base === 'string') return base;
  const tag = baseTag(name, stage);
  if ('dockerfile' in base) {
    const dockerfile = contextPath(base.dockerfile);
    const context = base.context === undefined ? path.posix.dirname(dockerfile) : contextPath(base.context);
    const args = Object.fromEntries(Object.entries(base.args ?? {}).map(([k, v]) => [k, envText(v)]));
    prerequisites.push({ kind: 'dockerfile', tag, dockerfile, context, target: base.target, args });
  } else if ('tarball' in base) {
    prerequisites.push({ kind: 'tarball', tag, tarball: contextPath(base.tarball) });
  } else {
    const [distribution, suite] = base.bootstrap.split(':') as ['debian' | 'ubuntu', string];
    prerequisites.push({ kind: 'bootstrap', tag, distribution, suite, mirror: base.mirror });
  }
  return tag;
}

/** Stage names in an order where every stage comes after the stages it copies from. */
function stageOrder(config: DevenvConfig): string[] {
  const names = Object.keys(config.stages);
  const ordered: string[] = [];
  const visit = (name: string, seen: Set<string>) => {
    if (ordered.includes(name) || seen.has(name)) return;
    seen.add(name);
    for (const step of config.stages[name]?.steps ?? []) {
      if ('copy' in step && step.copy.from !== undefined && names.includes(step.copy.from))
        visit(step.copy.from, seen);
    }
    ordered.push(name);
  };
  for (const name of names) visit(name, new Set());
  return ordered;
}

function toArgv(command: string | readonly string[]): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : [...command];
}

/** Compiles the image part of a validated config. */
export function compileImage(config: ResolvedConfig, ctx: PlanContext): CompiledImage {
  const prerequisites: BasePrerequisite[] = [];
  const contextPaths = new Set<string>();
  const instructions: Instruction[] = [];
  const buildArgs = Object.fromEntries(
    Object.entries(config.build.args ?? {}).map(([k, v]) => [k, envText(v)]),
  );
  const argLines: Instruction[] = Object.keys(buildArgs).map((name) => ({ kind: 'arg', name }));
  const collectContext = (steps: readonly Step[]) => {
    for (const step of steps)
      if ('copy' in step && step.copy.from === undefined) contextPaths.add(contextPath(step.copy.src));
  };
  // A bootstrap base is Debian or Ubuntu; any other base the name does not tell is probed at build time.
  const managerOf = (base: Base, explicit: PackageManager | undefined): PackageManager | undefined =>
    explicit ??
    (typeof base === 'string' ? detectPackageManager(base) : 'bootstrap' in base ? 'apt' : undefined);

  for (const stageName of stageOrder(config)) {
    const stage = config.stages[stageName];
    if (stage === undefined) continue;
    const manager = managerOf(stage.base, stage.packageManager);
    instructions.push({
      kind: 'from',
      image: fromImage(stage.base, config.name, stageName, prerequisites),
      as: stageName,
    });
    instructions.push(...installPackages(ctx.fragments, manager, stage.packages ?? []));
    instructions.push(...argLines);
    const stageEnv = Object.entries(stage.env ?? {}).map(([k, v]) => [k, envText(v)] as const);
    if (stageEnv.length > 0) instructions.push({ kind: 'env', vars: stageEnv });
    if (stage.workdir !== undefined) instructions.push({ kind: 'workdir', path: stage.workdir });
    instructions.push(...stepInstructions(stage.steps ?? []));
    collectContext(stage.steps ?? []);
    instructions.push({ kind: 'blank' });
  }

  const manager = managerOf(config.base, config.packageManager);
  const known =
    config.shell ??
    (config.packages.includes('bash')
      ? '/bin/bash'
      : typeof config.base === 'string'
        ? knownShell(config.base)
        : undefined);
  // When neither devenv.yml nor the base's name tells, the image decides: its CMD and its user's
  // login shell pick bash where the image has it, and the engine looks in the built image for the rest.
  const shellFromImage = known === undefined;
  const shell = known ?? '/bin/sh';
  const user = resolveUser(config.user, ctx.hostUser);

  const base = fromImage(config.base, config.name, undefined, prerequisites);
  instructions.push({ kind: 'from', image: base });
  instructions.push(...installPackages(ctx.fragments, manager, config.packages));
  if (user !== undefined) {
    instructions.push(createUser(ctx.fragments, user, shellFromImage ? undefined : shell));
    // Docker seeds a new named volume from the image's folder, owner included; without this the
    // volume would belong to root and the user could not write to it.
    const targets = config.mounts.flatMap((m) => (m.type === 'volume' ? [m.target] : []));
    if (targets.length > 0) {
      const list = shellJoin(targets);
      instructions.push({ kind: 'run', shell: `mkdir -p ${list} && chown ${user.uid}:${user.gid} ${list}` });
    }
  }
  instructions.push(...argLines);
  instructions.push(...stepInstructions(config.steps));
  collectContext(config.steps);

  // `env:` is a run setting (see compilePlan): editing it must not rebuild the image and so discard
  // the container's files. Variables the build needs are build arguments.
  // Only an explicit workdir goes into the image: the project mount's target is a run setting, so
  // adding or moving that mount must not change (and rebuild) the image.
  if (config.workdir !== undefined) instructions.push({ kind: 'workdir', path: config.workdir });
  if (user !== undefined) instructions.push({ kind: 'user', user: `${user.uid}:${user.gid}` });
  const exposed = config.ports.map((p) => String(p).split(':').pop() ?? '').filter((p) => p !== '');
  if (exposed.length > 0) instructions.push({ kind: 'expose', ports: exposed });
  if (config.entrypoint !== undefined)
    instructions.push({ kind: 'entrypoint', argv: toArgv(config.entrypoint) });
  if (config.command !== undefined) instructions.push({ kind: 'cmd', argv: toArgv(config.command) });
  else if (config.entrypoint === undefined)
    instructions.push({ kind: 'cmd', argv: shellFromImage ? PREFER_BASH_CMD : [shell] });

  return {
    instructions,
    prerequisites,
    contextPaths: [...contextPaths].sort(),
    buildArgs,
    base,
    user,
    shell,
    shellFromImage,
  };
}

/** The container path where the project folder is mounted, if it is. */
export function projectMountTarget(
  config: DevenvConfig,
  ctx: Pick<PlanContext, 'projectDir' | 'homeDir'>,
): string | undefined {
  for (const mount of config.mounts) {
    if (mount.type !== 'bind') continue;
    const source = mount.source.startsWith('~') ? undefined : path.resolve(ctx.projectDir, mount.source);
    if (source === path.resolve(ctx.projectDir)) return mount.target;
  }
  return undefined;
}
