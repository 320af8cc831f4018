/**
 * devenv as a library: the stages the CLI runs, for tools that want the generated Dockerfile or a
 * runtime without the command line. `loadConfig` finds, reads and validates devenv.yml;
 * `compilePlan` turns it into a Plan (the Dockerfile, build inputs and run settings) without touching
 * the machine; `createRuntime` opens Docker, Podman or the embedded runtime behind one `Runtime`
 * interface. A failure the user can fix is a `DevenvError` (a `ConfigError` carries every diagnostic);
 * anything else is a bug. Only what this file exports is the public API.
 */
export { loadConfig } from './config/load.js';
export type { LoadedConfig, LocateOptions } from './config/load.js';
export { ConfigError } from './config/diagnostic.js';
export type { Diagnostic } from './config/diagnostic.js';
export type { DevenvConfig, DevenvConfigInput, PackageManager } from './config/schema.js';
export type { ResolvedConfig } from './config/validate.js';
export { loadSettings, settingsPath } from './config/settings.js';
export type { Settings } from './config/settings.js';
export { compilePlan } from './plan/compile-plan.js';
export type { Fragments, ImagePlan, ImageUser, Plan, PlanContext, RunSpec } from './plan/types.js';
export { loadFragments } from './config/templates.js';
export { createRuntime } from './runtime/factory.js';
export type { RuntimeChoice, RuntimeHost } from './runtime/factory.js';
export type { ContainerSummary, ImageSummary, Runtime } from './runtime/runtime.js';
export { DevenvError, isDevenvError } from './errors.js';
export type { ErrorCode } from './errors.js';
