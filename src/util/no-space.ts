/**
 * The errno codes of a full disk, shared by every writer that turns them into DEVENV_NO_SPACE (the
 * embedded store, image archives, bundles), so they agree on what counts as "no space".
 */

const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** True for the errno codes of a full disk, an exhausted quota or a file-size limit. */
export function isNoSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NO_SPACE_CODES.has(code);
}
