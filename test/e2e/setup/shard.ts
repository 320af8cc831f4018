/**
 * The name sandboxes of an e2e shard start with (see vitest.config.ts): a shard's global teardown
 * stops the environments its own failed tests left running, and never those of the shard still
 * running beside it.
 */
export function sandboxPrefix(shard: string | undefined): string {
  return `devenv-emb-${shard ?? 'e2e'}-`;
}
