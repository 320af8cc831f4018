/**
 * Builds on Docker: `devenv build` against `docker build` of the very Dockerfile devenv exports
 * (`devenv export`), with the flags and labels the exported run.sh passes, on the same engine and
 * layer cache. Two cases: an edit to the file the last step copies (every earlier layer comes from
 * the cache, the last is rebuilt), and a rebuild with nothing changed (every layer cached).
 */
import path from 'node:path';
import { shellQuote } from '../src/plan/quote.js';
import { compare } from './lib/compare.js';
import { busyboxConfig, devenvArgv, makeProject, setup } from './lib/project.js';
import type { BenchContext, Row } from './lib/types.js';

/** The steps of the benchmark project: three `run` layers, then a `copy` of a folder. */
export const BUILD_STEPS = [
  'steps:',
  '  - run: mkdir -p /opt/one && echo one > /opt/one/file',
  '  - run: echo two > /opt/two',
  '  - run: echo three > /opt/three',
  '  - copy: { src: ./tools, dest: /opt/tools }',
];

/** The `docker build` line of the exported run.sh, with its own tag so the two images never collide. */
export async function plainBuild(ctx: BenchContext, project: string): Promise<string[]> {
  const exported = path.join(ctx.workDir, 'export');
  await setup(ctx, devenvArgv(ctx, project, ['export', exported]));
  const plan = JSON.parse(await setup(ctx, devenvArgv(ctx, project, ['plan', '--json']))) as {
    image: { labels: Record<string, string> };
  };
  const labels = Object.entries(plan.image.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return [
    'docker',
    'build',
    '--network',
    'host',
    '--tag',
    'bench-plain/build:latest',
    '--file',
    path.join(exported, 'Dockerfile'),
    ...labels,
    project,
  ];
}

/** See the file comment. */
export async function bench(ctx: BenchContext): Promise<Row[]> {
  const project = await makeProject(ctx, 'build', {
    'devenv.yml': busyboxConfig(ctx, 'bench-build', ['runtime: docker', ...BUILD_STEPS]),
    'tools/stamp': 'initial\n',
  });
  const docker = await plainBuild(ctx, project);
  // Fill the layer cache for the three run steps, which both builders then share.
  await setup(ctx, devenvArgv(ctx, project, ['build']));
  // A fresh stamp before every run: only the COPY layer (and what follows it) is rebuilt.
  const edit = ['sh', '-c', `date +%s%N > ${shellQuote(path.join(project, 'tools', 'stamp'))}`];
  const build = devenvArgv(ctx, project, ['build']);
  const edited = await compare(ctx, 'build after editing the copied file', { argv: build, prepare: edit }, [
    { name: 'docker build', argv: docker, prepare: edit },
  ]);
  const cached = await compare(ctx, 'build, fully cached', { argv: build }, [
    { name: 'docker build', argv: docker },
  ]);
  return [...edited, ...cached];
}
