/**
 * Building on Docker: the prerequisite images (a user Dockerfile, a tarball, a bootstrap root) and
 * then the generated Dockerfile, sent with a minimal context tar on stdin. Proxy values reach the
 * builder as Docker's predefined build arguments, named in argv and valued through the environment,
 * so they appear in no argv, image config or history.
 */
import { mkdtemp, readFile, rm } from '../../util/fs-async.js';
import { tmpdir } from 'node:os';
import path from '../../util/node-path.js';
import { pipeline } from 'node:stream/promises';
import { DevenvError } from '../../errors.js';
import type { BasePrerequisite, ImagePlan } from '../../plan/types.js';
import { hashFile } from '../../util/hash-file.js';
import { CONTEXT_DOCKERFILE, packContext } from '../../image/context-tar.js';
import { isImageArchive } from '../../image/archive/is-image-archive.js';
import { readAptSources } from '../bootstrap/apt-sources.js';
import {
  BOOTSTRAP_LABEL,
  SOURCE_LABEL,
  bootstrapKey,
  bootstrapSpec,
  labelChange,
} from '../bootstrap/bootstrap-key.js';
import { makeRootTarball } from '../bootstrap/make-root.js';
import type { EventSink } from '../events.js';
import { ImageNotFoundError, pullProblem, similarImageHint } from '../image-not-found.js';
import type { BuildRequest } from '../runtime.js';
import { BuildOutputParser } from './build-output.js';
import { docker, dockerMaybe } from './docker-cli.js';
import { checkResult, spawnDocker } from './docker-spawn.js';
import type { DockerTarget } from './docker-cli.js';
import { engineSquashes, squashImage, squashedByEngine } from './docker-squash.js';

function proxyFlags(image: ImagePlan): { args: string[]; env: Record<string, string> } {
  const args = Object.keys(image.proxyArgs).flatMap((name) => ['--build-arg', name]);
  return { args, env: { ...image.proxyArgs } };
}

/** Runs one `docker build`, streaming its output as events; resolves with the image id. */
async function runBuild(
  target: DockerTarget,
  args: string[],
  onEvent: EventSink,
  stdin: NodeJS.ReadableStream | undefined,
  env: Record<string, string>,
): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'devenv-build-'));
  const iidfile = path.join(dir, 'iid');
  const fullArgs = ['build', '--iidfile', iidfile, ...args];
  try {
    const child = spawnDocker(target, fullArgs, {
      stdin: stdin === undefined ? 'ignore' : 'pipe',
      all: true,
      buffer: { all: false, stdout: false, stderr: true },
      extraEnv: { DOCKER_CLI_HINTS: 'false', ...env },
    });
    const feeding =
      stdin !== undefined && child.stdin !== null
        ? pipeline(stdin, child.stdin).catch((error: unknown) => error)
        : Promise.resolve(undefined);
    const parser = new BuildOutputParser();
    for await (const line of child.iterable({ from: 'all' }))
      for (const event of parser.line(String(line))) onEvent(event);
    const result = await child;
    const fed = await feeding;
    await checkBaseFound(target, parser, result);
    checkResult(target, fullArgs, result);
    if (fed instanceof Error && !/EPIPE/.test(fed.message))
      throw new DevenvError('DEVENV_RUNTIME_FAILED', `could not send the build context: ${fed.message}`, {
        cause: fed,
      });
    return (await readFile(iidfile, 'utf8')).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Turns a build that stopped at `FROM` because the image does not exist (or its registry cannot be
 * reached) into one plain {@link ImageNotFoundError}, with the closest name the registry or the
 * local images have.
 */
async function checkBaseFound(
  target: DockerTarget,
  parser: BuildOutputParser,
  result: { exitCode?: number | undefined; stderr?: unknown; failed?: boolean },
): Promise<void> {
  if (result.failed !== true && (result.exitCode ?? 0) === 0) return;
  const image = parser.pullingImage();
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const problem = image === undefined ? undefined : pullProblem(stderr);
  if (image === undefined || problem === undefined) return;
  const listed = await docker(target, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']).catch(
    () => undefined,
  );
  const local = (listed ?? '').split('\n').filter((t) => t !== '' && !t.includes('<none>'));
  const hint = await similarImageHint(image, local);
  throw new ImageNotFoundError(image, { problem, hint, cause: new Error(stderr) });
}

async function buildPrerequisite(
  target: DockerTarget,
  pre: BasePrerequisite,
  request: BuildRequest,
  onEvent: EventSink,
): Promise<void> {
  const proxy = proxyFlags(request.image);
  if (pre.kind === 'dockerfile') {
    onEvent({ type: 'info', message: `building the base image from ${pre.dockerfile}` });
    const args = [
      '--network',
      'host',
      '--tag',
      pre.tag,
      '--file',
      path.join(request.projectDir, pre.dockerfile),
      ...proxy.args,
    ];
    if (pre.target !== undefined) args.push('--target', pre.target);
    for (const [k, v] of Object.entries(pre.args)) args.push('--build-arg', `${k}=${v}`);
    if (request.noCache) args.push('--no-cache');
    if (request.pull) args.push('--pull');
    await runBuild(
      target,
      [...args, path.join(request.projectDir, pre.context)],
      onEvent,
      undefined,
      proxy.env,
    );
  } else if (pre.kind === 'tarball') {
    const file = path.join(request.projectDir, pre.tarball);
    onEvent({ type: 'info', message: `loading the base image from ${pre.tarball}` });
    if (await isImageArchive(file)) {
      const out = await docker(target, ['load', '--input', file]);
      const loaded = /Loaded image(?: ID)?: (\S+)/.exec(out.split('\n').filter(Boolean).pop() ?? '')?.[1];
      if (loaded === undefined)
        throw new DevenvError('DEVENV_ARCHIVE_INVALID', `${pre.tarball} holds no image`);
      await docker(target, ['tag', loaded, pre.tag]);
    } else {
      // docker import makes a new image id every time; reusing the last import when the tarball is
      // unchanged keeps the layer cache of everything built on top of it.
      const { digest } = await hashFile(file);
      const existing = await dockerMaybe(target, [
        'image',
        'inspect',
        '--format',
        `{{index .Config.Labels "${SOURCE_LABEL}"}}`,
        pre.tag,
      ]);
      if (existing !== digest)
        await docker(target, ['import', '--change', labelChange(SOURCE_LABEL, digest), file, pre.tag]);
    }
  } else {
    await bootstrapBase(target, pre, request, onEvent);
  }
}

/**
 * A bootstrap base: reused while the image under `pre.tag` carries the same key (distribution, suite,
 * variant, mirror), so a second build runs no tool and needs no network; `--pull` makes it again.
 */
async function bootstrapBase(
  target: DockerTarget,
  pre: Extract<BasePrerequisite, { kind: 'bootstrap' }>,
  request: BuildRequest,
  onEvent: EventSink,
): Promise<void> {
  const spec = bootstrapSpec(pre, await readAptSources());
  const key = bootstrapKey(spec);
  if (!request.pull) {
    const format = `{{index .Config.Labels "${BOOTSTRAP_LABEL}"}}`;
    if ((await dockerMaybe(target, ['image', 'inspect', '--format', format, pre.tag])) === key) {
      onEvent({
        type: 'info',
        message: `using the ${pre.distribution}:${pre.suite} base made before (--pull makes it again)`,
      });
      return;
    }
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'devenv-bootstrap-'));
  try {
    const out = path.join(dir, 'rootfs.tar');
    await makeRootTarball({ spec, out, env: request.env, proxyArgs: request.image.proxyArgs, onEvent });
    await docker(target, ['import', '--change', labelChange(BOOTSTRAP_LABEL, key), out, pre.tag]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Builds the plan's prerequisites, then its image; returns the image id. A squash uses the engine's
 * own `--squash` where it works (Podman, experimental Docker), and devenv's layer squash otherwise
 * or when the engine's had no effect.
 */
export async function buildImage(
  target: DockerTarget,
  request: BuildRequest,
  onEvent: EventSink,
): Promise<string> {
  for (const pre of request.image.prerequisites) await buildPrerequisite(target, pre, request, onEvent);
  const proxy = proxyFlags(request.image);
  const args = ['--network', 'host', '--tag', request.image.tag, '--file', CONTEXT_DOCKERFILE, ...proxy.args];
  for (const [k, v] of Object.entries({ ...request.image.labels, ...request.labels }))
    args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(request.image.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  if (request.noCache) args.push('--no-cache');
  if (request.pull && request.image.prerequisites.length === 0) args.push('--pull');
  const squash = request.squash ? ((await engineSquashes(target)) ? 'engine' : 'devenv') : 'none';
  if (squash === 'engine') args.push('--squash');
  const context = packContext(request.projectDir, request.image.contextPaths, {
    [CONTEXT_DOCKERFILE]: request.image.dockerfile,
  });
  const id = await runBuild(target, [...args, '-'], onEvent, context, proxy.env);
  if (squash === 'none') return id;
  if (squash === 'engine' && (await squashedByEngine(target, id, request.image.base))) return id;
  return squashImage(target, { imageId: id, tag: request.image.tag, base: request.image.base }, onEvent);
}
