/**
 * compilePlan: a validated config plus facts about the caller → the Dockerfile, the build inputs and
 * the RunSpec, with digests that drive rebuild and recreate decisions. Pure: no files, no processes,
 * no clock.
 */
import path from '../util/node-path.js';
import { resolveHostPath } from '../config/host-path.js';
import type { ResolvedConfig } from '../config/validate.js';
import { compileImage, envText, projectMountTarget } from './compile-image.js';
import { digestOf } from './digest.js';
import { renderDockerfile } from './dockerfile.js';
import { hostnameFor, imageTag, volumeName } from './naming.js';
import { resolveProxy } from './proxy.js';
import type { Plan, PlanContext, RunMount, RunSettings, RunSpec } from './types.js';

/** Label keys devenv puts on images and containers, so `ls` and drift checks need no database. */
export const LABELS = {
  name: 'dev.devenv.name',
  project: 'dev.devenv.project',
  config: 'dev.devenv.config',
  plan: 'dev.devenv.plan',
  run: 'dev.devenv.run',
  runtime: 'dev.devenv.runtime',
  shell: 'dev.devenv.shell',
  /** On a throwaway `devenv run` container: the environment it runs for. */
  runOf: 'dev.devenv.run-of',
} as const;

/** Where the X11 cookie appears inside the container. */
export const XAUTH_TARGET = '/tmp/.devenv.xauth';

/** Name of the X11 cookie file in the per-environment state folder. */
export const XAUTH_FILE = 'xauth';

/**
 * The settings that only take effect when the container is created, as `up` compares them: their
 * digest is the container's `dev.devenv.run` label. Secrets and hooks stay out.
 */
export function runSettingsOf(run: RunSpec): RunSettings {
  return {
    hostname: run.hostname,
    user: run.user,
    workdir: run.workdir,
    env: run.env,
    mounts: run.mounts,
    devices: run.devices,
    network: run.network,
    ports: run.ports,
    dns: run.dns,
    init: run.init,
    privileged: run.privileged,
    stopSignal: run.stopSignal,
    persist: run.persist,
  };
}

/** Compiles a config into a plan. */
export function compilePlan(config: ResolvedConfig, ctx: PlanContext): Plan {
  const image = compileImage(config, ctx);
  const dockerfile = renderDockerfile(image.instructions);
  const tag = imageTag(config.name);
  const proxy = resolveProxy(config.proxy, ctx.settings?.proxy, ctx.env);

  const imageDigest = digestOf({
    dockerfile,
    prerequisites: image.prerequisites,
    contextPaths: image.contextPaths,
    buildArgs: image.buildArgs,
    squash: config.build.squash,
  });

  const mounts: RunMount[] = config.mounts.map((m) =>
    m.type === 'bind'
      ? {
          type: 'bind',
          source: resolveHostPath(m.source, ctx.projectDir, ctx.homeDir),
          target: m.target,
          readonly: m.readonly,
        }
      : { type: 'volume', name: volumeName(config.name, m.volume), target: m.target, readonly: m.readonly },
  );
  // Values may refer to the image's variables (`$PATH`); the engine resolves them at create time.
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(config.env).map(([k, v]) => [k, envText(v)]),
  );
  let x11: RunSpec['devices']['x11'];
  if (config.devices.x11) {
    x11 = {
      display: ctx.env['DISPLAY'] ?? '',
      socketDir: '/tmp/.X11-unix',
      cookieFile: path.join(ctx.stateDir, XAUTH_FILE),
      cookieTarget: XAUTH_TARGET,
    };
    env['DISPLAY'] = x11.display.replaceAll('$', '$$$$');
    env['XAUTHORITY'] = XAUTH_TARGET;
  }
  const run: RunSpec = {
    name: config.name,
    image: tag,
    hostname: config.container.hostname ?? hostnameFor(config.name),
    user: image.user === undefined ? undefined : `${image.user.uid}:${image.user.gid}`,
    workdir: config.workdir ?? projectMountTarget(config, ctx),
    env,
    secretEnv: proxy,
    mounts,
    devices: { usb: config.devices.usb, gpu: config.devices.gpu, paths: [...config.devices.paths], x11 },
    network: config.network,
    ports: config.ports.map(String),
    dns: config.dns.length > 0 ? [...config.dns] : [...(ctx.settings?.dns ?? [])],
    init: config.container.init,
    privileged: config.container.privileged,
    persist: config.container.persist,
    shell: image.shell,
    shellFromImage: image.shellFromImage,
    stopSignal: config.command === undefined && config.entrypoint === undefined ? 'SIGHUP' : undefined,
    hooks: { create: [...config.hooks.create], start: [...config.hooks.start] },
    labels: {},
  };
  const runDigest = digestOf(runSettingsOf(run));
  const labels = {
    [LABELS.name]: config.name,
    [LABELS.project]: ctx.projectDir,
    [LABELS.config]: ctx.configFile,
    [LABELS.plan]: imageDigest,
  };
  run.labels = { ...labels, [LABELS.run]: runDigest, [LABELS.shell]: run.shell };

  return {
    name: config.name,
    image: {
      tag,
      dockerfile,
      base: image.base,
      prerequisites: image.prerequisites,
      contextPaths: image.contextPaths,
      buildArgs: image.buildArgs,
      proxyArgs: proxy,
      squash: config.build.squash,
      // Only what an image needs to be found and pruned: Docker's legacy builder turns every label
      // into a build step of its own. Containers carry the full set.
      labels: { [LABELS.name]: config.name },
    },
    run,
    digests: { image: imageDigest, run: runDigest },
  };
}
