/**
 * Warm sessions on Docker: the commands a person types all day once the environment exists. devenv
 * runs on the same engine, image and running container as its peers:
 * - `devenv exec -- true` against `docker exec` (the floor: what devenv wraps) and
 *   `devcontainer exec` (the tool people use for the same job);
 * - `devenv up -d` with everything built and running (the no-op path) against `docker start` of the
 *   running container (the closest plain-docker no-op), a warm `devcontainer up`, `node -e 0`
 *   (the floor of any Node program: the goal is that floor plus 30 ms) and `devenv --version`
 *   (devenv's own start, which the no-op cannot beat either);
 * - the peak resident memory of both devenv commands against `node -e 0`'s.
 */
import { compare } from './lib/compare.js';
import type { Peer } from './lib/compare.js';
import { ensureDevcontainerCli } from './lib/devcontainer-cli.js';
import { devenvStart, NODE_FLOOR } from './lib/node-floor.js';
import { compareRss } from './lib/peak-rss.js';
import { busyboxConfig, devenvArgv, makeProject, setup } from './lib/project.js';
import type { BenchContext, Row } from './lib/types.js';

const NAME = 'bench-session';

/** A devcontainer.json folder on the same image, brought up once (untimed). */
async function devcontainerWorkspace(ctx: BenchContext, bin: string): Promise<string> {
  const workspace = await makeProject(ctx, 'devcontainer', {
    '.devcontainer/devcontainer.json': JSON.stringify({
      image: ctx.services.images.busybox,
      runArgs: ['--network', 'none'],
    }),
  });
  await setup(ctx, [bin, 'up', '--workspace-folder', workspace]);
  return workspace;
}

/** The devcontainers CLI as a peer maker: timed, not installable here, or failed to come up. */
async function devcontainerPeers(
  ctx: BenchContext,
): Promise<(command: 'up' | 'exec', args: string[]) => Peer> {
  const cli = await ensureDevcontainerCli(ctx.cacheDir, ctx.log);
  if ('unavailable' in cli)
    return (command) => ({ name: `devcontainer ${command}`, unavailable: cli.unavailable });
  let workspace: string;
  try {
    workspace = await devcontainerWorkspace(ctx, cli.bin);
  } catch (error) {
    const failed = error instanceof Error ? error.message : String(error);
    return (command) => ({ name: `devcontainer ${command}`, failed });
  }
  return (command, args) => ({
    name: `devcontainer ${cli.version} ${command}`,
    argv: [cli.bin, command, '--workspace-folder', workspace, ...args],
  });
}

/** See the file comment. */
export async function bench(ctx: BenchContext): Promise<Row[]> {
  const project = await makeProject(ctx, 'session', {
    'devenv.yml': busyboxConfig(ctx, NAME, ['runtime: docker']),
  });
  await setup(ctx, devenvArgv(ctx, project, ['up', '-d']));
  const devcontainer = await devcontainerPeers(ctx);

  const exec = await compare(
    ctx,
    'warm exec `true`',
    { argv: devenvArgv(ctx, project, ['exec', '--', 'true']) },
    [{ name: 'docker exec', argv: ['docker', 'exec', NAME, 'true'] }, devcontainer('exec', ['true'])],
  );
  const up = await compare(ctx, 'warm up -d (no-op)', { argv: devenvArgv(ctx, project, ['up', '-d']) }, [
    { name: 'docker start (running)', argv: ['docker', 'start', NAME] },
    devcontainer('up', []),
    NODE_FLOOR,
    devenvStart(ctx),
  ]);
  const rss = [
    await compareRss(
      ctx,
      'peak RSS, exec `true`',
      devenvArgv(ctx, project, ['exec', '--', 'true']),
      NODE_FLOOR,
    ),
    await compareRss(ctx, 'peak RSS, up -d (no-op)', devenvArgv(ctx, project, ['up', '-d']), NODE_FLOOR),
  ];
  return [...exec, ...up, ...rss];
}
