/**
 * The findings `devenv doctor` reports: what was checked, whether it is fine, a sentence of detail
 * and what to do about it. Plain data, so `--json` prints it as is and the classification that
 * produces it can be tested without a host.
 */

/** `ok`: works; `warn`: works worse, or only matters later; `fail`: something needed is broken. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** Which part of the report a check belongs to. */
export type CheckSection = 'runtime' | 'docker' | 'embedded' | 'store';

/** One finding. */
export interface HostCheck {
  section: CheckSection;
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do; present when the status is not `ok`. */
  hint?: string | undefined;
}

/** A finding of `section`. */
export function check(
  section: CheckSection,
  name: string,
  status: CheckStatus,
  detail: string,
  hint?: string,
): HostCheck {
  return hint === undefined ? { section, name, status, detail } : { section, name, status, detail, hint };
}

/**
 * Failures of a runtime the user did not choose are warnings: a machine without Docker is fine for
 * someone on the embedded runtime, and the reverse. The store's consistency always counts, since a
 * damaged store is wrong whichever runtime runs today. `counted` names the runtime sections that do.
 */
export function weighChecks(checks: readonly HostCheck[], counted: ReadonlySet<CheckSection>): HostCheck[] {
  return checks.map((c) =>
    c.status === 'fail' && (c.section === 'docker' || c.section === 'embedded') && !counted.has(c.section)
      ? { ...c, status: 'warn' }
      : c,
  );
}

/** The exit status of a report: 0 when nothing failed, else 1. */
export function doctorExitCode(checks: readonly HostCheck[]): number {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}
