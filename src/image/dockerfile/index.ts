/**
 * The Dockerfile front end, runtime-neutral: parsing (with Docker's continuation, flag and exec-form
 * rules) and variable expansion (Docker's shell lexer subset). See docs/image-formats.md#building-classic-builder-semantics.
 */
export { parseDockerfile, fromParts } from './parse.js';
export type { DockerfileInstruction, DockerfileStage, ParsedDockerfile } from './types.js';
export { expandWords, expandWord, expandToWords, envLookup, ExpandError } from './expand.js';
export type { VariableLookup } from './expand.js';
export { splitWords, splitWhitespace } from './words.js';
export { dockerfileError } from './errors.js';
