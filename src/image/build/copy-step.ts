/**
 * COPY and ADD as the classic builder reads them (moby builder/dockerfile/copy.go, dispatchers.go):
 * sources and destination expanded, the destination joined to WORKDIR, `--from` resolved to an
 * earlier stage or an image, and the history line `COPY [--chown=u:g]<hash> in <dest> ` (Docker
 * writes no space between the chown flag and the hash, and one after the destination).
 */
import type { DockerfileInstruction, ParsedDockerfile } from '../dockerfile/index.js';
import { dockerfileError, splitWhitespace } from '../dockerfile/index.js';
import { cleanPath, copyRunConfig, probeOf, shellOf } from './run-config.js';
import type { RunConfig } from './run-config.js';
import type { CopyStep } from './steps.js';

interface CopyInput {
  dockerfile: ParsedDockerfile;
  stage: number;
  instruction: DockerfileInstruction;
  config: RunConfig;
  author: string | undefined;
  expand: (word: string) => string;
}

/** Docker's test for a URL source of ADD. */
const URL_SOURCE = /^https?:\/\//i;

function resolveFrom(input: CopyInput, value: string): CopyStep['from'] {
  const { dockerfile, stage, instruction } = input;
  const fail = (message: string, hint: string) =>
    dockerfileError(dockerfile.file, instruction.line, message, hint);
  if (value === '') throw fail('--from is empty', 'Write --from=<stage name, stage index or image>.');
  if (/^\d+$/.test(value)) {
    const index = Number(value);
    if (index >= stage)
      throw fail(
        `--from=${value} refers to ${index === stage ? 'the current stage' : 'a later stage'}`,
        stage === 0
          ? 'This is the first stage; copy from an earlier stage or an image.'
          : `Use a stage index below ${stage}.`,
      );
    return { stage: index };
  }
  const index = dockerfile.stages.findIndex((s) => s.name === value.toLowerCase());
  if (index >= stage)
    throw fail(
      `--from=${value} refers to ${index === stage ? 'the current stage' : 'a later stage'}`,
      'A stage can copy only from the stages above it; move that stage up.',
    );
  return index >= 0 ? { stage: index } : { image: value };
}

function parseChmod(input: CopyInput, value: string): number {
  if (!/^[0-7]{1,4}$/.test(value))
    throw dockerfileError(
      input.dockerfile.file,
      input.instruction.line,
      `--chmod=${value} is not an octal mode`,
      'Write the mode in octal, e.g. --chmod=755 or --chmod=0644.',
    );
  return parseInt(value, 8);
}

/** The step of one COPY or ADD. */
export function copyStep(input: CopyInput): CopyStep {
  const { dockerfile, instruction, config } = input;
  const { keyword, flags } = instruction;
  const fail = (message: string, hint: string) =>
    dockerfileError(dockerfile.file, instruction.line, message, hint);
  const words = (instruction.json ?? splitWhitespace(instruction.text)).map(input.expand);
  const written = words.at(-1);
  const sources = words.slice(0, -1);
  if (written === undefined || sources.length === 0)
    throw fail(`${keyword} needs a source and a destination`, `Write \`${keyword} source… destination\`.`);
  if (keyword === 'ADD') {
    const url = sources.find((s) => URL_SOURCE.test(s));
    if (url !== undefined)
      throw fail(
        `ADD of a URL (${url}) is not supported by the devenv builder`,
        'Download the file in a RUN step (curl or wget), or put it in the build context and COPY it.',
      );
  }
  if (sources.length > 1 && !written.endsWith('/'))
    throw fail(
      `${keyword} with more than one source needs a destination directory ending in /`,
      `Write the destination as ${written}/.`,
    );
  const chown = flags['chown'] === undefined ? undefined : input.expand(flags['chown']);
  if (chown === '') throw fail('--chown is empty', 'Write --chown=user[:group] with names or ids.');
  const chmod = flags['chmod'] === undefined ? undefined : parseChmod(input, flags['chmod']);
  const from = flags['from'] === undefined ? undefined : resolveFrom(input, flags['from']);

  const workdir = config.WorkingDir === '' ? '/' : config.WorkingDir;
  const dest = cleanPath(written.startsWith('/') ? written : `${workdir}/${written}`);
  const destIsDir = written.endsWith('/') || /(^|\/)\.$/.test(written) || sources.length > 1;
  const flagText = `${chown === undefined ? '' : `--chown=${chown}`}${chmod === undefined ? '' : `--chmod=${chmod.toString(8).padStart(4, '0')} `}`;
  const comment = (hash: string) => `#(nop) ${keyword} ${flagText}${hash} in ${written} `;
  // The hash comes later; the stage's config will have moved on by then.
  const snapshot = copyRunConfig(config);
  const probeFor = (hash: string): RunConfig => probeOf(snapshot, [...shellOf(snapshot), comment(hash)]);
  return {
    kind: 'copy',
    instruction,
    author: input.author,
    add: keyword === 'ADD',
    sources,
    from,
    dest,
    destIsDir,
    chown,
    chmod,
    config: copyRunConfig(snapshot),
    probeFor,
    createdByFor: (hash) => (probeFor(hash).Cmd ?? []).join(' '),
  };
}
