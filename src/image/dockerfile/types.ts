/**
 * The Dockerfile as the builder reads it: instructions with their line, their argument text joined
 * the way Docker joins continuation lines, their `--flags`, and the JSON array when written in exec
 * form. Stages and global ARGs are split out; nothing is expanded yet (that depends on the stage).
 */

/** One instruction of a Dockerfile. */
export interface DockerfileInstruction {
  /** Upper case: FROM RUN COPY ADD … */
  keyword: string;
  /** 1-based line where it starts. */
  line: number;
  /** Raw argument text after the keyword and flags (continuations joined as Docker does). */
  text: string;
  /** JSON array when written in exec/JSON form, else undefined. */
  json?: string[] | undefined;
  /** `--chown=…`, `--from=…`, `--chmod=…` (FROM: `--platform`); a flag without `=` has the value ''. */
  flags: Record<string, string>;
}

/** One `FROM` and the instructions up to the next. */
export interface DockerfileStage {
  /** The `AS` name, lower case (stage names are case-insensitive). */
  name?: string | undefined;
  from: DockerfileInstruction;
  instructions: DockerfileInstruction[];
}

/** A parsed Dockerfile. */
export interface ParsedDockerfile {
  /** The file name used in error messages. */
  file: string;
  /** The escape character (`\`, or `` ` `` by the `# escape=` directive). */
  escape: string;
  /** ARGs before the first FROM. */
  globalArgs: DockerfileInstruction[];
  stages: DockerfileStage[];
}
