/**
 * Dockerfile text → {@link ParsedDockerfile}. `dockerfile-ast` finds the instructions (escape
 * directive, comments, continuation lines, heredoc bodies); the argument text, flags and exec form
 * are then read with Docker's own rules (./words.ts), so `text` is exactly what `docker build` sees.
 * Anything the builder would not honour is refused here with FILE:LINE, never skipped.
 */
import { DockerfileParser } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';
import { dockerfileError } from './errors.js';
import type { DockerfileInstruction, DockerfileStage, ParsedDockerfile } from './types.js';
import { NotStringArrayError, jsonForm, splitFlags } from './words.js';

/** Instructions the classic builder knows and devenv builds. */
const SUPPORTED = new Set([
  'FROM',
  'ARG',
  'ENV',
  'LABEL',
  'USER',
  'WORKDIR',
  'RUN',
  'COPY',
  'ADD',
  'CMD',
  'ENTRYPOINT',
  'EXPOSE',
  'VOLUME',
  'SHELL',
  'STOPSIGNAL',
  'MAINTAINER',
]);

/** Instructions whose arguments may be a JSON array (exec form). */
const JSON_FORMS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'VOLUME', 'SHELL']);

/** The flags each instruction accepts; any other is an error. */
const FLAGS: Readonly<Record<string, readonly string[]>> = {
  COPY: ['from', 'chown', 'chmod'],
  ADD: ['chown', 'chmod'],
};

/**
 * Joins an instruction's physical lines into Docker's logical line: the escape character and the
 * blanks after it end a line that continues; comment lines and empty lines inside the instruction
 * are dropped; a continued line keeps its leading whitespace.
 */
function logicalLine(lines: readonly string[], escape: string): string {
  const continuation = new RegExp(`${escape === '`' ? '`' : '\\\\'}[ \\t]*$`);
  let joined = '';
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (i > 0 && (/^\s*#/.test(line) || line.trim() === '')) return;
    joined += (i === 0 ? line.trimStart() : line).replace(continuation, '');
  });
  return joined;
}

const HEREDOC = /(^|\s)<<-?(["']?)[A-Za-z_][\w.-]*\2(\s|$)/;

function hasHeredoc(instruction: Instruction, text: string): boolean {
  const withHeredocs = instruction as Instruction & { getHeredocs?: () => unknown[] };
  if (typeof withHeredocs.getHeredocs === 'function' && withHeredocs.getHeredocs().length > 0) return true;
  return HEREDOC.test(text);
}

/** Why an instruction cannot be built, with what to do instead; undefined when it can. */
function unsupported(keyword: string): { message: string; hint: string } | undefined {
  switch (keyword) {
    case 'ONBUILD':
      return {
        message: 'ONBUILD is not supported by the devenv builder',
        hint: 'Put the instructions in the Dockerfile that uses this image instead of ONBUILD.',
      };
    case 'HEALTHCHECK':
      return {
        message: 'HEALTHCHECK is not supported by the devenv builder',
        hint: 'Remove the HEALTHCHECK line; a development environment is checked with `devenv doctor`.',
      };
    default:
      return SUPPORTED.has(keyword)
        ? undefined
        : {
            message: `unknown instruction ${keyword}`,
            hint: `Use one of ${[...SUPPORTED].join(', ')}; check the spelling and any line continuation above.`,
          };
  }
}

function readInstruction(
  instruction: Instruction,
  lines: readonly string[],
  escape: string,
  file: string,
): DockerfileInstruction {
  const range = instruction.getRange();
  const line = range.start.line + 1;
  const keyword = instruction.getKeyword().toUpperCase();
  const fail = (message: string, hint: string) => dockerfileError(file, line, message, hint);
  const problem = unsupported(keyword);
  if (problem !== undefined) throw fail(problem.message, problem.hint);

  const logical = logicalLine(lines.slice(range.start.line, range.end.line + 1), escape);
  const args = logical.replace(/^\s*\S+/, '');
  if ((keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') && hasHeredoc(instruction, args))
    throw fail(
      `heredocs (<<WORD) in ${keyword} are not supported by the devenv builder`,
      `Write the content to a file in the build context and COPY it, or use a one-line ${keyword}.`,
    );
  const { flags: rawFlags, rest } = splitFlags(args);
  const flags: Record<string, string> = {};
  const allowed = FLAGS[keyword] ?? (keyword === 'FROM' ? ['platform'] : []);
  for (const flag of rawFlags) {
    const eq = flag.indexOf('=');
    const name = eq < 0 ? flag : flag.slice(0, eq);
    if (!allowed.includes(name))
      throw fail(
        `${keyword} --${name} is not supported by the devenv builder`,
        keyword === 'RUN'
          ? 'RUN flags such as --mount and --network need BuildKit; remove the flag (devenv builds with the classic builder rules).'
          : allowed.length === 0
            ? `${keyword} takes no flags; remove --${name}.`
            : `${keyword} accepts ${allowed.map((f) => `--${f}`).join(', ')}; remove --${name}.`,
      );
    if (name in flags) throw fail(`--${name} is given twice`, `Keep one --${name}.`);
    flags[name] = eq < 0 ? '' : flag.slice(eq + 1);
  }
  let json: string[] | undefined;
  if (JSON_FORMS.has(keyword)) {
    try {
      json = jsonForm(rest);
    } catch (error) {
      if (!(error instanceof NotStringArrayError)) throw error;
      throw fail(
        `${keyword}: a JSON array must hold strings only`,
        'Quote every element, e.g. ["echo", "1"], or write the shell form without brackets.',
      );
    }
  }
  return { keyword, line, text: rest, json, flags };
}

/** Splits `FROM image [AS name]`; the name is lower-cased and checked as Docker checks it. */
export function fromParts(from: DockerfileInstruction, file: string): { image: string; name?: string } {
  const words = from.text.split(/\s+/u).filter((w) => w !== '');
  const [image, as, name] = words;
  if (image === undefined || (words.length !== 1 && (words.length !== 3 || as?.toLowerCase() !== 'as')))
    throw dockerfileError(
      file,
      from.line,
      'FROM takes an image and optionally AS and a stage name',
      'Write `FROM image` or `FROM image AS name`.',
    );
  if (name === undefined) return { image };
  if (!/^[a-z][a-z0-9-_.]*$/.test(name.toLowerCase()))
    throw dockerfileError(
      file,
      from.line,
      `invalid stage name ${JSON.stringify(name)}`,
      'A stage name starts with a letter and holds letters, digits, -, _ and . only.',
    );
  return { image, name: name.toLowerCase() };
}

/**
 * Parses a Dockerfile. Throws DEVENV_CONFIG_INVALID naming `FILE:LINE` for what the builder cannot
 * honour: heredocs, ONBUILD, HEALTHCHECK, unknown instructions, unsupported flags (RUN --mount,
 * --network…), a JSON array of non-strings, an instruction before the first FROM other than ARG,
 * a repeated stage name, an empty file or one without FROM. ADD of a URL is refused by the stage
 * builder, where the sources are expanded.
 */
export function parseDockerfile(text: string, file: string): ParsedDockerfile {
  const ast = DockerfileParser.parse(text);
  const escape = ast.getEscapeCharacter();
  const lines = text.split('\n');
  const globalArgs: DockerfileInstruction[] = [];
  const stages: DockerfileStage[] = [];
  for (const node of ast.getInstructions()) {
    const instruction = readInstruction(node, lines, escape, file);
    if (instruction.keyword === 'FROM') {
      const { name } = fromParts(instruction, file);
      if (name !== undefined && stages.some((s) => s.name === name))
        throw dockerfileError(
          file,
          instruction.line,
          `stage name ${JSON.stringify(name)} is already used`,
          'Give each stage its own name (names are case-insensitive).',
        );
      stages.push({ name, from: instruction, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage !== undefined) stage.instructions.push(instruction);
    else if (instruction.keyword === 'ARG') globalArgs.push(instruction);
    else
      throw dockerfileError(
        file,
        instruction.line,
        `${instruction.keyword} before the first FROM`,
        'Only ARG may come before the first FROM; move this line below a FROM.',
      );
  }
  if (stages.length === 0)
    throw dockerfileError(
      file,
      0,
      globalArgs.length === 0 ? 'the Dockerfile has no instructions' : 'the Dockerfile has no FROM',
      'Start the Dockerfile with `FROM image`.',
    );
  return { file, escape, globalArgs, stages };
}
