/** The report of the store's consistency check (`devenv doctor`). Plain data, so `--json` can print it. */

/**
 * What is wrong. All but `unsafe-root` and `container` are repaired by `repairStore`:
 * - `unsafe-root`: the root is a symlink, shared-writable or another user's (P2); the user must fix it
 * - `leftover`: what a crashed operation left (incomplete layer, stale ingest, `*-removing`, temp file…)
 * - `stray-file`: a file under a final-name directory whose name is not a digest
 * - `corrupt-blob`: a blob whose content does not hash to its name
 * - `corrupt-state`: a JSON state file that does not validate (quarantined by repair, C6)
 * - `broken-layer`: a layer with bad metadata, a wrong chain ID or a missing parent
 * - `missing-link`: a layer without its `l/` short link
 * - `broken-image`: an image whose config, layers or blobs are missing or do not match
 * - `dangling-ref`: a tag pointing at no usable image
 * - `broken-volume`: a volume whose record is missing, corrupt or misnamed, or whose `_data` folder
 *   is missing (repair writes a fresh record and an empty folder; it never deletes a volume's data)
 * - `container`: a container whose image or volume is gone, or whose config cannot be read
 */
export type IssueKind =
  | 'unsafe-root'
  | 'leftover'
  | 'stray-file'
  | 'corrupt-blob'
  | 'corrupt-state'
  | 'broken-layer'
  | 'missing-link'
  | 'broken-image'
  | 'dangling-ref'
  | 'broken-volume'
  | 'container';

/** One problem: its kind, the path it concerns and a sentence for the user. */
export interface StoreIssue {
  kind: IssueKind;
  path: string;
  message: string;
  /** The digest, chain ID or reference the issue is about, when there is one. */
  subject?: string | undefined;
}

/** The outcome of a check. */
export interface CheckReport {
  root: string;
  issues: StoreIssue[];
  /** True when there are no issues. */
  clean: boolean;
}

/** Kinds `repairStore` cannot fix; they need the user. */
export const UNREPAIRABLE: ReadonlySet<IssueKind> = new Set(['unsafe-root', 'container']);
