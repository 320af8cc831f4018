/**
 * Where each stage starts and which stage is built: FROM lines expanded with the ARGs declared
 * before the first FROM, stage names matched case-insensitively, `--target` looked up.
 */
import type { ParsedDockerfile } from '../dockerfile/index.js';
import { dockerfileError, fromParts } from '../dockerfile/index.js';
import { argPairs, expandIn } from './instruction-args.js';

/** What a stage is built on. */
export interface StageStart {
  /** An image reference, 'scratch', or an earlier stage by index. */
  base: { image: string } | { stage: number } | 'scratch';
  /** The `AS` name, lower case. */
  name?: string | undefined;
}

/**
 * The ARGs before the first FROM: name → default after expansion (undefined: none). Their value
 * where used is the `--build-arg` if given, else this default.
 */
export function metaArgs(
  dockerfile: ParsedDockerfile,
  fromOptions: Readonly<Record<string, string>>,
): Map<string, string | undefined> {
  const meta = new Map<string, string | undefined>();
  const lookup = metaLookup(meta, fromOptions);
  for (const instruction of dockerfile.globalArgs)
    for (const { key, value } of argPairs(dockerfile, instruction)) {
      const name = expandIn(dockerfile, instruction, key, lookup);
      meta.set(name, value === undefined ? undefined : expandIn(dockerfile, instruction, value, lookup));
    }
  return meta;
}

/** The variables a FROM line sees: meta args and given proxy values, `--build-arg` first. */
export function metaLookup(
  meta: ReadonlyMap<string, string | undefined>,
  fromOptions: Readonly<Record<string, string>>,
): (name: string) => string | undefined {
  return (name) => (Object.hasOwn(fromOptions, name) ? fromOptions[name] : meta.get(name));
}

/**
 * The start of every stage: FROM expanded with the global ARGs (`buildArgs` overriding their
 * defaults); `scratch`; a name of an earlier stage (case-insensitive) → that stage. Throws FILE:LINE
 * when a FROM expands to nothing or carries `--platform` (the builder builds for the host only).
 */
export function stageStarts(dockerfile: ParsedDockerfile, buildArgs: Record<string, string>): StageStart[] {
  const lookup = metaLookup(metaArgs(dockerfile, buildArgs), buildArgs);
  return dockerfile.stages.map((stage, index): StageStart => {
    const { file } = dockerfile;
    const { from } = stage;
    if ('platform' in from.flags)
      throw dockerfileError(
        file,
        from.line,
        'FROM --platform is not supported by the devenv builder',
        'Remove --platform; devenv builds images for the machine it runs on.',
      );
    const written = fromParts(from, file).image;
    const image = expandIn(dockerfile, from, written, lookup);
    if (image === '')
      throw dockerfileError(
        file,
        from.line,
        `FROM ${written} expands to nothing`,
        'Give the ARG it uses a default before the first FROM, or pass it with a build arg.',
      );
    const earlier = dockerfile.stages.slice(0, index).findIndex((s) => s.name === image.toLowerCase());
    const base = earlier >= 0 ? { stage: earlier } : image === 'scratch' ? 'scratch' : { image };
    return stage.name === undefined ? { base } : { base, name: stage.name };
  });
}

/** The index of the stage to build: `target` by name (case-insensitive), else the last stage. */
export function targetStage(dockerfile: ParsedDockerfile, target?: string): number {
  if (target === undefined) return dockerfile.stages.length - 1;
  const index = dockerfile.stages.findIndex((s) => s.name === target.toLowerCase());
  if (index >= 0) return index;
  const names = dockerfile.stages.flatMap((s) => (s.name === undefined ? [] : [s.name]));
  throw dockerfileError(
    dockerfile.file,
    0,
    `no stage named ${JSON.stringify(target)}`,
    names.length === 0
      ? 'The Dockerfile names no stages; name one with `FROM image AS name`, or drop the target.'
      : `Use one of the stage names: ${names.join(', ')}.`,
  );
}
