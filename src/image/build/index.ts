/**
 * Docker's classic-builder semantics as pure, runtime-neutral code: the per-instruction state
 * machine of a stage, the image config and history it commits, the cache key of a step, and the
 * content hash of COPY sources. The executor that runs steps and stores layers lives with each
 * runtime. See docs/image-formats.md#building-classic-builder-semantics.
 */
export { StageBuilder } from './stage-builder.js';
export type { StageBuilderOptions } from './stage-builder.js';
export type { BuildStep, CopyStep, MetaStep, RunStep, WorkdirStep } from './steps.js';
export { stageStarts, targetStage, metaArgs } from './stages.js';
export type { StageStart } from './stages.js';
export { DEFAULT_PATH, DEFAULT_SHELL, copyRunConfig, runConfigOf, shellOf } from './run-config.js';
export type { EmptyObject, RunConfig } from './run-config.js';
export { cacheKey } from './cache-key.js';
export { copySourceHash, entryHash, sourceHash, tarsumHeader } from './copy-hash.js';
export type { CopyHashEntry, CopyHashFlavour, CopySource } from './copy-hash.js';
export { collectCopySources, rootRelative } from './copy-sources.js';
export type { CopySourceOptions, HostCopyEntry, HostCopySource } from './copy-sources.js';
export { goMatch, hasWildcards } from './go-match.js';
export { dockerignoreMatcher } from './dockerignore.js';
export { imageConfigFor, goJson } from './image-config.js';
export type { HistoryEntry, ImageConfigInput } from './image-config.js';
export { PROXY_ARGS } from './build-args.js';
