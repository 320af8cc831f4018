/**
 * {@link TuiEngine} on the real engine: the same use cases the commands call (start, stop, up, rm,
 * save, load), the same drift report `devenv status` prints and the same plan `devenv plan` prints.
 * Each job gets its own engine context whose events, output and questions go to the TUI.
 */
import { mkdir } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import { PassThrough } from 'node:stream';
import type { ConfigError } from '../../config/diagnostic.js';
import { driftReport } from '../../engine/drift.js';
import type { EngineContext } from '../../engine/engine-context.js';
import type { Project } from '../../engine/image.js';
import { describe, restartEnvironment, startEnvironment, stopEnvironment } from '../../engine/lifecycle.js';
import type { Caller } from '../../engine/project.js';
import { removeEnvironment } from '../../engine/remove.js';
import { up } from '../../engine/up.js';
import { DevenvError, isDevenvError } from '../../errors.js';
import { shellJoin, shellQuote } from '../../plan/quote.js';
import type { RunSpec } from '../../plan/types.js';
import { toRunArgs } from '../../runtime/docker/run-args.js';
import type { ContainerSummary, Runtime } from '../../runtime/runtime.js';
import type { JobHooks, LoadRequest, TuiEngine } from './engine-port.js';
import type { DriftView, EnvRow } from './model.js';
import { rowKey } from './model.js';

/** This project's devenv.yml as it reads now: planned, invalid (with its problems), or absent. */
export type ProjectRead =
  { kind: 'ok'; project: Project } | { kind: 'invalid'; error: ConfigError } | { kind: 'none' };

export interface EngineAdapterOptions {
  runtimes: readonly Runtime[];
  /** The runtime this project's environment lives on (or would be created on). */
  projectRuntime: Runtime | undefined;
  readProject: () => Promise<ProjectRead>;
  /** The engine context a command would get for `runtime`; each job replaces its sinks. */
  context: (runtime: Runtime) => EngineContext;
  /** How to run devenv itself as a child: node, the CLI script, and global flags to repeat. */
  cli: { execPath: string; script: string; globals: readonly string[] };
  editor: string | undefined;
  configFile: string | undefined;
  cwd: string;
  caller: Caller;
  version: string;
}

const UNKNOWN: DriftView = { state: 'unknown', summary: "not this project's environment", changes: [] };

/** Makes the engine port; see the module comment. */
export function engineAdapter(options: EngineAdapterOptions): TuiEngine {
  const runtimeOf = (name: string): Runtime => {
    const found = options.runtimes.find((r) => r.name === name) ?? options.projectRuntime;
    if (found === undefined) throw new DevenvError('DEVENV_NOT_FOUND', `the runtime ${name} is not open`);
    return found;
  };
  const jobContext = (runtime: Runtime, job: JobHooks): EngineContext => ({
    ...options.context(runtime),
    onEvent: job.onEvent,
    stdio: { stdin: new PassThrough().end(), stdout: job.output, stderr: job.output },
    interactive: true,
    confirm: job.confirm,
    signal: job.signal,
  });
  const mineOf = async (row: Pick<EnvRow, 'name'>): Promise<Project | undefined> => {
    const read = await options.readProject();
    return read.kind === 'ok' && read.project.plan.name === row.name ? read.project : undefined;
  };
  /** The spec and state folder of this project's environment, so start runs its hooks. */
  const hooksOf = async (row: EnvRow): Promise<{ spec: RunSpec; stateDir: string } | undefined> => {
    const project = await mineOf(row);
    return project === undefined ? undefined : { spec: project.plan.run, stateDir: project.stateDir };
  };
  const requireMine = async (row: EnvRow, what: string): Promise<Project> => {
    const project = await mineOf(row);
    if (project !== undefined) return project;
    throw new DevenvError('DEVENV_USAGE', `${what} needs the devenv.yml of ${row.name}`, {
      hint: `open devenv in ${row.project ?? 'its project folder'}, or run devenv up there`,
    });
  };

  async function toRow(
    runtime: Runtime,
    container: ContainerSummary | undefined,
    read: ProjectRead,
    name: string,
  ): Promise<EnvRow> {
    const info = container === undefined ? undefined : describe(container, runtime.name);
    const mine =
      (read.kind === 'ok' && read.project.plan.name === name) ||
      (read.kind === 'invalid' && info?.project === path.dirname(options.configFile ?? ''));
    let drift = UNKNOWN;
    if (mine && read.kind === 'ok') drift = await driftReport(runtime, read.project, container);
    else if (mine && read.kind === 'invalid') drift = invalidDrift(read.error);
    const spec = read.kind === 'ok' && mine ? read.project.plan.run : undefined;
    return {
      key: rowKey(info?.runtime ?? runtime.name, name),
      name,
      runtime: info?.runtime ?? runtime.name,
      project: info?.project ?? (mine ? path.dirname(options.configFile ?? '') : undefined),
      mine,
      state: container?.state ?? 'absent',
      startedAt: container?.startedAt,
      exitCode: info?.exitCode,
      image: info?.image ?? (spec === undefined || read.kind !== 'ok' ? '' : read.project.plan.image.tag),
      ports: info?.ports ?? [],
      mounts: info?.mounts ?? [],
      devices: spec === undefined ? [] : devicesOf(spec.devices),
      drift,
    };
  }

  return {
    title: `${options.runtimes.map((r) => r.name).join(', ')} · ${options.cwd}`,
    configFile: options.configFile,

    async inventory() {
      const read = await options.readProject();
      const problems: string[] = [];
      const rows: EnvRow[] = [];
      const lists = await Promise.allSettled(options.runtimes.map((r) => r.listContainers()));
      for (const [index, list] of lists.entries()) {
        const runtime = options.runtimes[index];
        if (runtime === undefined) continue;
        if (list.status === 'rejected') {
          problems.push(
            `${runtime.name}: ${isDevenvError(list.reason) ? list.reason.message : String(list.reason)}`,
          );
          continue;
        }
        for (const c of list.value) rows.push(await toRow(runtime, c, read, c.name));
      }
      // This project's environment before it exists, so `u` or `b` can create it.
      if (read.kind === 'ok' && options.projectRuntime !== undefined) {
        const name = read.project.plan.name;
        if (!rows.some((r) => r.name === name && r.mine))
          rows.push(await toRow(options.projectRuntime, undefined, read, name));
      }
      return { rows, problems };
    },

    async inspect(row) {
      const runtime = runtimeOf(row.runtime);
      const read = await options.readProject();
      const container = await runtime.inspectContainer(row.name);
      if (container === undefined && !(read.kind === 'ok' && read.project.plan.name === row.name))
        return undefined;
      return toRow(runtime, container, read, row.name);
    },

    async start(row, job) {
      if (row.state === 'absent') return this.rebuild(row, false, job);
      await startEnvironment(jobContext(runtimeOf(row.runtime), job), row.name, await hooksOf(row));
      return `started ${row.name}`;
    },

    async stop(row, job) {
      await stopEnvironment(jobContext(runtimeOf(row.runtime), job), row.name);
      return `stopped ${row.name}`;
    },

    async restart(row, job) {
      await restartEnvironment(jobContext(runtimeOf(row.runtime), job), row.name, await hooksOf(row));
      return `restarted ${row.name}`;
    },

    async rebuild(row, noCache, job) {
      const project = await requireMine(row, 'rebuild');
      const result = await up(jobContext(runtimeOf(row.runtime), job), project, {
        detach: true,
        recreate: false,
        keepState: false,
        yes: false,
        noCache,
        pull: false,
        squash: false,
        force: false,
      });
      return `${row.name}: ${result.built ? 'built, ' : ''}${result.action}`;
    },

    async remove(row, job) {
      const project = await mineOf(row);
      const knownVolumes = project?.plan.run.mounts.flatMap((m) => (m.type === 'volume' ? [m.name] : []));
      await removeEnvironment(jobContext(runtimeOf(row.runtime), job), row.name, {
        force: true,
        volumes: false,
        knownVolumes,
      });
      return `removed ${row.name}; its named volumes stay (devenv rm --volumes ${row.name} removes them)`;
    },

    async save(row, file, job) {
      const project = await mineOf(row);
      const output = path.resolve(options.cwd, file);
      // Bundles (tar-stream, yaml, zod) load when used, not before the first frame.
      const { saveBundle } = await import('../../bundle/save.js');
      await saveBundle(jobContext(runtimeOf(row.runtime), job), {
        name: row.name,
        output,
        noState: false,
        configText: project?.configText,
        devenvVersion: options.version,
      });
      return `saved ${row.name} to ${file}; load it with I (or devenv load ${file})`;
    },

    async load(request: LoadRequest, job) {
      const runtime = options.projectRuntime ?? options.runtimes[0];
      if (runtime === undefined) throw new DevenvError('DEVENV_NOT_FOUND', 'no runtime is open to load into');
      // The suggested folder (./NAME) is usually new; `devenv load -C DIR` expects it to exist.
      const projectDir = path.resolve(options.cwd, request.dir);
      await mkdir(projectDir, { recursive: true });
      const { loadFile } = await import('../../bundle/load-file.js');
      const result = await loadFile(jobContext(runtime, job), {
        file: request.file,
        projectDir,
        name: request.name,
        allowHostAccess: false,
        caller: options.caller,
      });
      return result.kind === 'images'
        ? `loaded images ${result.loaded.join(', ')}`
        : `restored ${result.name} in ${request.dir}; start it with u`;
    },

    async plan(row) {
      const read = await options.readProject();
      if (read.kind === 'invalid') return [invalidDrift(read.error).summary];
      const project = await mineOf(row);
      if (project === undefined)
        return [`the plan comes from devenv.yml; ${row.name} belongs to ${row.project ?? 'another project'}`];
      const changes = row.drift.state === 'in-sync' ? [] : [`# ${row.drift.summary}`];
      return [
        ...changes,
        ...project.plan.image.dockerfile.trimEnd().split('\n'),
        '# docker run arguments:',
        ...runArgLines(toRunArgs(redactSecrets(project).run)),
      ];
    },

    async logs(row, output) {
      await runtimeOf(row.runtime).logs(row.name, { follow: false, tail: 2000 }, output);
    },

    attachCommand: (row) => [
      options.cli.execPath,
      options.cli.script,
      'attach',
      row.name,
      '--runtime',
      row.runtime,
      ...options.cli.globals,
    ],
    shellCommand: (row) => [
      options.cli.execPath,
      options.cli.script,
      'shell',
      row.name,
      '--runtime',
      row.runtime,
      ...options.cli.globals,
    ],
    editCommand: () =>
      options.configFile === undefined
        ? undefined
        : `${options.editor ?? 'vi'} ${shellQuote(options.configFile)}`,
    loadFolder: (name) => path.join(options.cwd, name ?? 'restored'),
  };
}

/** The `config-invalid` drift of a devenv.yml that does not validate: its first error at line:col. */
export function invalidDrift(error: ConfigError): DriftView {
  const first = error.diagnostics.find((d) => d.severity === 'error');
  const where = first?.line === undefined ? '' : ` at ${first.line}:${first.col ?? 1}`;
  return {
    state: 'config-invalid',
    summary: `devenv.yml is invalid${where}: ${first?.message ?? error.message}`,
    changes: [],
  };
}

/** The plan without secret values, as `devenv plan` prints it. */
function redactSecrets(project: Project): Project['plan'] {
  const secretEnv = Object.fromEntries(
    Object.keys(project.plan.run.secretEnv).map((k) => [k, '<from the environment>']),
  );
  return { ...project.plan, run: { ...project.plan.run, secretEnv } };
}

/** The devices line of the detail pane. */
function devicesOf(devices: Project['plan']['run']['devices']): string[] {
  return [
    ...devices.paths,
    ...(devices.usb ? ['usb'] : []),
    ...(devices.gpu ? ['gpu'] : []),
    ...(devices.x11 === undefined ? [] : ['x11 display']),
  ];
}

/** `docker run` and its flags, one flag (with its value) a line, so the pane can show them whole. */
function runArgLines(args: readonly string[]): string[] {
  const lines: string[][] = [['#', 'docker']];
  for (const arg of args) {
    if (arg.startsWith('-') || lines.length === 1) lines.push(['#  ']);
    lines[lines.length - 1]?.push(arg);
  }
  return lines.map(([hash = '#', ...words]) => `${hash} ${shellJoin(words)}`);
}
