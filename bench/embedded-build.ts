/**
 * Builds on the embedded runtime against `docker build` of the Dockerfile devenv exports for the same
 * project (the docker-build module's project and peer): a build after editing the copied file (the
 * `run` layers cached, the `COPY` rebuilt) and a fully cached one. The embedded store is the
 * module's own; the base comes from the loopback registry. When the embedded runtime cannot build,
 * the module fails with what devenv said: an unavailable builder is never reported as a figure.
 */
import path from 'node:path';
import { shellQuote } from '../src/plan/quote.js';
import { BUILD_STEPS, plainBuild } from './docker-build.js';
import { compare } from './lib/compare.js';
import { busyboxConfig, devenvArgv, makeProject, setup } from './lib/project.js';
import type { BenchContext, Row } from './lib/types.js';

/** See the file comment. */
export async function bench(ctx: BenchContext): Promise<Row[]> {
  const project = await makeProject(ctx, 'build', {
    'devenv.yml': busyboxConfig(ctx, 'bench-embedded-build', BUILD_STEPS),
    'tools/stamp': 'initial\n',
  });
  const embedded = ['--runtime', 'embedded', '--root', path.join(ctx.workDir, 'store')];
  const build = devenvArgv(ctx, project, [...embedded, 'build']);
  try {
    // Pulls the base and fills the embedded layer cache; also the check that the builder exists.
    await setup(ctx, build);
  } catch (error) {
    throw new Error(
      `the embedded runtime could not build, so there is nothing to time: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const docker = await plainBuild(ctx, project);
  await setup(ctx, docker);
  const edit = ['sh', '-c', `date +%s%N > ${shellQuote(path.join(project, 'tools', 'stamp'))}`];
  const edited = await compare(
    ctx,
    'embedded build after editing the copied file',
    { argv: build, prepare: edit },
    [{ name: 'docker build', argv: docker, prepare: edit }],
  );
  const cached = await compare(ctx, 'embedded build, fully cached', { argv: build }, [
    { name: 'docker build', argv: docker },
  ]);
  return [...edited, ...cached];
}
