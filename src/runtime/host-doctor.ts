/**
 * `devenv doctor` below the command: probes the Docker (or Podman) engine and the embedded runtime's
 * host and store at once, and weighs the findings by the runtime in use, so a failure of the runtime
 * the user did not choose is only a warning (see weighChecks).
 */
import { isDevenvError } from '../errors.js';
import { check, weighChecks } from './checks.js';
import type { CheckSection, HostCheck } from './checks.js';
import { dockerTarget, embeddedStoreRoot, pickAuto } from './factory.js';
import type { RuntimeChoice, RuntimeHost } from './factory.js';
import type { StoreIssue, StoreRoot } from './embedded/store/index.js';

/** Everything `doctor` reports. */
export interface DoctorReport {
  checks: HostCheck[];
  /** The embedded store: where it is, what chose it, and what is wrong with it (after a repair). */
  store: StoreRoot & { issues: StoreIssue[] };
  /** What `--repair` did, one sentence per action; absent without `--repair` or a store. */
  repair?: { actions: string[] } | undefined;
}

/** Which runtime new environments and image commands use here, and why: what `auto` resolves to. */
async function runtimeCheck(
  choice: RuntimeChoice,
  host: RuntimeHost,
): Promise<{ check: HostCheck; picked: RuntimeChoice }> {
  if (choice !== 'auto')
    return {
      check: check('runtime', 'in use', 'ok', `${choice} (chosen with --runtime or the settings file)`),
      picked: choice,
    };
  try {
    const pick = await pickAuto(host);
    return {
      check: check('runtime', 'auto picks', 'ok', `${pick.runtime}: ${pick.reason}`),
      picked: pick.runtime,
    };
  } catch (error) {
    if (!isDevenvError(error)) throw error;
    return { check: check('runtime', 'auto picks', 'fail', error.message, error.hint), picked: 'auto' };
  }
}

/**
 * Runs every check for `choice` on `host`; with `repair`, fixes what a crash left in the embedded
 * store first. The probes are loaded here, on demand, because no other command needs them.
 */
export async function diagnoseHost(
  choice: RuntimeChoice,
  host: RuntimeHost,
  options: { repair: boolean; platform: string },
): Promise<DoctorReport> {
  const root = embeddedStoreRoot(host);
  const [{ dockerChecks, probeDocker }, { embeddedDoctor }] = await Promise.all([
    import('./docker/doctor.js'),
    import('./embedded/doctor.js'),
  ]);
  const [docker, embedded] = await Promise.all([
    probeDocker(dockerTarget(choice === 'podman' ? 'podman' : 'docker', host)).then(dockerChecks),
    embeddedDoctor({
      root,
      repair: options.repair,
      env: host.env,
      uid: host.uid,
      platform: options.platform,
      tmpDir: host.env['TMPDIR'] ?? '/tmp',
    }),
  ]);
  const runtime = await runtimeCheck(choice, host);
  const counted = new Set<CheckSection>([runtime.picked === 'embedded' ? 'embedded' : 'docker']);
  return {
    checks: [runtime.check, ...weighChecks([...docker, ...embedded.checks], counted)],
    store: { ...root, issues: embedded.store?.issues ?? [] },
    repair: embedded.repair === undefined ? undefined : { actions: embedded.repair.actions },
  };
}
