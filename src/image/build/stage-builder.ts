/**
 * Docker's classic builder, one stage at a time, as a pure state machine (moby
 * builder/dockerfile/dispatchers.go): each instruction turns the run config into the next one and
 * yields the step the executor carries out. Nothing here runs a process or touches a store.
 */
import type { DockerfileInstruction, ParsedDockerfile } from '../dockerfile/index.js';
import {
  dockerfileError,
  envLookup,
  expandToWords,
  ExpandError,
  splitWhitespace,
} from '../dockerfile/index.js';
import { BuildArgs, goSort, withBuildArgPrefix } from './build-args.js';
import { copyStep } from './copy-step.js';
import { goList, goQuoteList } from './go-format.js';
import { argPairs, expandIn, keyValuePairs } from './instruction-args.js';
import { DEFAULT_PATH, cleanPath, copyRunConfig, probeOf, shellOf } from './run-config.js';
import type { RunConfig } from './run-config.js';
import { metaArgs } from './stages.js';
import type { BuildStep } from './steps.js';

/** What a stage builder needs. */
export interface StageBuilderOptions {
  dockerfile: ParsedDockerfile;
  /** Index of the stage in `dockerfile.stages`. */
  stage: number;
  /** The run config of the FROM image (see runConfigOf), or null for scratch. */
  baseConfig: RunConfig | null;
  /** `--build-arg` values. */
  buildArgs: Record<string, string>;
  /** Proxy values (HTTP_PROXY…), passed like Docker's predefined build args: never persisted. */
  proxyArgs: Record<string, string>;
}

const PORT = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i;

/**
 * Builds one stage: construct it with the base image's config, then iterate {@link steps} once,
 * carrying out each step before asking for the next (a step's errors are thrown when it is reached,
 * as Docker reports them after the earlier steps ran). {@link unusedBuildArgs} is complete after the
 * last step.
 */
export class StageBuilder {
  private readonly dockerfile: ParsedDockerfile;
  private readonly stage: number;
  private readonly args: BuildArgs;
  private config: RunConfig;
  /** A CMD in this stage keeps a later ENTRYPOINT from clearing Cmd. */
  private cmdSet = false;
  private author: string | undefined;
  private started = false;

  constructor(options: StageBuilderOptions) {
    const { dockerfile, stage, baseConfig } = options;
    const current = dockerfile.stages[stage];
    if (current === undefined) throw new RangeError(`stage ${stage} is not in ${dockerfile.file}`);
    this.dockerfile = dockerfile;
    this.stage = stage;
    const fromOptions = { ...options.proxyArgs, ...options.buildArgs };
    this.args = new BuildArgs(fromOptions, metaArgs(dockerfile, fromOptions));
    const triggers = baseConfig?.OnBuild ?? [];
    if (triggers.length > 0)
      throw dockerfileError(
        dockerfile.file,
        current.from.line,
        `the base image has ONBUILD triggers (${triggers.join('; ')}), which the devenv builder does not run`,
        'Build on an image without ONBUILD triggers, or write the triggered instructions out in this Dockerfile.',
      );
    const config: RunConfig =
      baseConfig === null
        ? { Env: [], Cmd: null, Entrypoint: null, User: '', WorkingDir: '', Volumes: null, Labels: null }
        : copyRunConfig(baseConfig);
    if (!config.Env.some((e) => e.startsWith('PATH='))) config.Env.push(DEFAULT_PATH);
    config.OnBuild = null;
    this.config = config;
  }

  /** The steps of the stage, in order; iterate once. */
  *steps(): Generator<BuildStep> {
    if (this.started) throw new Error('StageBuilder.steps() iterates once');
    this.started = true;
    const stage = this.dockerfile.stages[this.stage];
    for (const instruction of stage?.instructions ?? []) yield this.dispatch(instruction);
  }

  /** `--build-arg` names no ARG consumed (Docker warns "One or more build-args [X] were not consumed"). */
  unusedBuildArgs(): string[] {
    return this.args.unused();
  }

  private fail(instruction: DockerfileInstruction, message: string, hint: string): Error {
    return dockerfileError(this.dockerfile.file, instruction.line, message, hint);
  }

  /** What expansion sees: the stage's env, then the build args it does not shadow. */
  private vars(): (name: string) => string | undefined {
    return envLookup([...this.config.Env, ...this.args.inScope(this.config.Env)]);
  }

  private expand(instruction: DockerfileInstruction, word: string): string {
    return expandIn(this.dockerfile, instruction, word, this.vars());
  }

  private meta(instruction: DockerfileInstruction, text: string): BuildStep {
    const probe = probeOf(this.config, [...shellOf(this.config), '#(nop) ', text]);
    return {
      kind: 'meta',
      instruction,
      author: this.author,
      probe,
      config: copyRunConfig(this.config),
      createdBy: (probe.Cmd ?? []).join(' '),
    };
  }

  /** The argv of RUN/CMD/ENTRYPOINT: exec form as written, shell form through the SHELL. */
  private commandLine(instruction: DockerfileInstruction): string[] {
    if (instruction.json !== undefined) return [...instruction.json];
    if (instruction.text === '')
      throw this.fail(
        instruction,
        `${instruction.keyword} needs a command`,
        `Write \`${instruction.keyword} command\` or \`${instruction.keyword} ["program", "arg"]\`.`,
      );
    return [...shellOf(this.config), instruction.text];
  }

  private dispatch(instruction: DockerfileInstruction): BuildStep {
    const config = this.config;
    switch (instruction.keyword) {
      case 'ARG': {
        const vars = this.vars();
        const parts = argPairs(this.dockerfile, instruction).map(({ key, value }) => {
          const name = expandIn(this.dockerfile, instruction, key, vars);
          const val = value === undefined ? undefined : expandIn(this.dockerfile, instruction, value, vars);
          return { name, val };
        });
        for (const { name, val } of parts) this.args.declare(name, val);
        return this.meta(
          instruction,
          `ARG ${parts.map(({ name, val }) => (val === undefined ? name : `${name}=${val}`)).join(' ')}`,
        );
      }
      case 'ENV':
      case 'LABEL': {
        const vars = this.vars();
        const pairs = keyValuePairs(this.dockerfile, instruction).map(({ key, value }) => ({
          key: expandIn(this.dockerfile, instruction, key, vars),
          value: expandIn(this.dockerfile, instruction, value, vars),
        }));
        for (const { key, value } of pairs) {
          if (key === '')
            throw this.fail(
              instruction,
              `${instruction.keyword} has a blank name`,
              'Write NAME=value with a name.',
            );
          if (instruction.keyword === 'LABEL') {
            config.Labels = { ...config.Labels, [key]: value };
            continue;
          }
          const at = config.Env.findIndex((e) => e.split('=', 1)[0] === key);
          if (at >= 0) config.Env[at] = `${key}=${value}`;
          else config.Env.push(`${key}=${value}`);
        }
        return this.meta(
          instruction,
          `${instruction.keyword} ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`,
        );
      }
      case 'MAINTAINER':
        this.author = instruction.text;
        return this.meta(instruction, `MAINTAINER ${instruction.text}`);
      case 'USER':
      case 'STOPSIGNAL': {
        const value = this.expand(instruction, instruction.text);
        if (value === '' || /\s/.test(value))
          throw this.fail(
            instruction,
            `${instruction.keyword} takes one value`,
            `Write \`${instruction.keyword} value\`.`,
          );
        if (instruction.keyword === 'USER') config.User = value;
        else if (!/^(?:\d+|(?:SIG)?[A-Z][A-Z0-9+-]*)$/.test(value))
          throw this.fail(
            instruction,
            `invalid signal ${JSON.stringify(value)}`,
            'Write a signal name such as SIGTERM, or its number.',
          );
        else config.StopSignal = value;
        return this.meta(instruction, `${instruction.keyword} ${value}`);
      }
      case 'WORKDIR': {
        const requested = this.expand(instruction, instruction.text);
        if (requested === '') throw this.fail(instruction, 'WORKDIR needs a path', 'Write `WORKDIR /path`.');
        // An absolute path is stored as written, a relative one joined and cleaned (normalizeWorkdir).
        config.WorkingDir = requested.startsWith('/')
          ? requested
          : cleanPath(`/${config.WorkingDir}/${requested}`);
        const probe = probeOf(config, [...shellOf(config), `#(nop) WORKDIR ${config.WorkingDir}`]);
        return {
          kind: 'workdir',
          instruction,
          author: this.author,
          path: cleanPath(config.WorkingDir),
          user: config.User,
          probe,
          config: copyRunConfig(config),
          createdBy: (probe.Cmd ?? []).join(' '),
        };
      }
      case 'RUN': {
        const argv = this.commandLine(instruction);
        if (argv.length === 0) throw this.fail(instruction, 'RUN needs a command', 'Write `RUN command`.');
        const inScope = this.args.inScope(config.Env);
        const probe = probeOf(config, withBuildArgPrefix(this.args, inScope, argv));
        probe.Entrypoint = null;
        return {
          kind: 'run',
          instruction,
          author: this.author,
          argv,
          env: [...config.Env, ...inScope],
          user: config.User,
          cwd: config.WorkingDir === '' ? '/' : cleanPath(config.WorkingDir),
          probe,
          config: copyRunConfig(config),
          createdBy: (probe.Cmd ?? []).join(' '),
        };
      }
      case 'CMD': {
        config.Cmd = this.commandLine(instruction);
        if (config.Cmd.length > 0) this.cmdSet = true;
        return this.meta(instruction, `CMD ${goQuoteList(config.Cmd)}`);
      }
      case 'ENTRYPOINT': {
        config.Entrypoint = this.commandLine(instruction);
        // An ENTRYPOINT drops the base image's Cmd, but not one this stage set.
        if (!this.cmdSet) config.Cmd = null;
        return this.meta(instruction, `ENTRYPOINT ${goQuoteList(config.Entrypoint)}`);
      }
      case 'EXPOSE':
        return this.expose(instruction);
      case 'VOLUME': {
        const volumes = (instruction.json ?? splitWhitespace(instruction.text)).map((v) =>
          this.expand(instruction, v),
        );
        if (volumes.length === 0 || volumes.some((v) => v === ''))
          throw this.fail(
            instruction,
            'VOLUME needs one or more paths, none empty',
            'Write `VOLUME /path` or `VOLUME ["/a", "/b"]`.',
          );
        config.Volumes = { ...config.Volumes, ...Object.fromEntries(volumes.map((v) => [v, {}])) };
        return this.meta(instruction, `VOLUME ${goList(volumes)}`);
      }
      case 'SHELL': {
        if (instruction.json === undefined || instruction.json.length === 0)
          throw this.fail(instruction, 'SHELL needs a JSON array', 'Write `SHELL ["/bin/bash", "-c"]`.');
        config.Shell = [...instruction.json];
        return this.meta(instruction, `SHELL ${goList(config.Shell)}`);
      }
      case 'COPY':
      case 'ADD':
        return copyStep({
          dockerfile: this.dockerfile,
          stage: this.stage,
          instruction,
          config,
          author: this.author,
          expand: (word) => this.expand(instruction, word),
        });
      default:
        throw this.fail(
          instruction,
          `unknown instruction ${instruction.keyword}`,
          'Remove or correct the line.',
        );
    }
  }

  private expose(instruction: DockerfileInstruction): BuildStep {
    const vars = this.vars();
    const ports = splitWhitespace(instruction.text).flatMap((word) => {
      try {
        return expandToWords(word, vars, this.dockerfile.escape);
      } catch (error) {
        if (!(error instanceof ExpandError)) throw error;
        throw this.fail(
          instruction,
          `EXPOSE ${word}: ${error.message}`,
          'Close every quote and write variables as $NAME or ${NAME}.',
        );
      }
    });
    if (ports.length === 0)
      throw this.fail(instruction, 'EXPOSE needs a port', 'Write `EXPOSE 8080` or `EXPOSE 53/udp`.');
    const exposed = { ...this.config.ExposedPorts };
    for (const port of ports) {
      const match = PORT.exec(port);
      const first = Number(match?.[1]);
      const last = match?.[2] === undefined ? first : Number(match[2]);
      if (match === null || first > 65535 || last > 65535 || last < first)
        throw this.fail(
          instruction,
          `invalid port ${JSON.stringify(port)}`,
          'Write a port (8080), a range (8000-8010), optionally with /tcp, /udp or /sctp.',
        );
      const proto = (match[3] ?? 'tcp').toLowerCase();
      for (let p = first; p <= last; p++) exposed[`${p}/${proto}`] = {};
    }
    this.config.ExposedPorts = exposed;
    return this.meta(instruction, `EXPOSE ${goSort(ports).join(' ')}`);
  }
}
