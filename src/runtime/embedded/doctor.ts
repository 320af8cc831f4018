/**
 * The embedded half of `devenv doctor`: probe the host, then check the store (repairing it first when
 * asked) without opening it, because opening recovers leftovers and doctor must report what a crash
 * left, not hide it.
 */
import { lstat } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import type { HostCheck } from '../checks.js';
import { embeddedHostChecks, storeChecks } from './host-check.js';
import { probeEmbeddedHost } from './host-probe.js';
import { checkStore, repairStore } from './store/index.js';
import type { CheckReport, RepairReport, StoreRoot } from './store/index.js';

/** What the embedded doctor needs. */
export interface EmbeddedDoctorInput {
  root: StoreRoot;
  repair: boolean;
  env: Readonly<Record<string, string | undefined>>;
  uid: number;
  platform: string;
  /** Where to probe overlayfs when there is no store yet. */
  tmpDir: string;
}

/** The findings, the store's report and what a repair did. */
export interface EmbeddedDoctorResult {
  checks: HostCheck[];
  store?: CheckReport | undefined;
  repair?: RepairReport | undefined;
}

async function isDirectory(dir: string): Promise<boolean> {
  return lstat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** Runs the embedded checks; see the module comment. */
export async function embeddedDoctor(input: EmbeddedDoctorInput): Promise<EmbeddedDoctorResult> {
  const root = input.root.root;
  const exists = await isDirectory(root);
  const storeTmp = path.join(root, 'tmp');
  const facts = await probeEmbeddedHost({
    env: input.env,
    uid: input.uid,
    platform: input.platform,
    probeDir: exists && (await isDirectory(storeTmp)) ? storeTmp : input.tmpDir,
    storeRoot: exists ? root : undefined,
  });
  let repair: RepairReport | undefined;
  let report: CheckReport | undefined;
  if (exists && input.repair) {
    repair = await repairStore(root);
    report = { root, issues: repair.remaining, clean: repair.clean };
  } else if (exists) {
    report = await checkStore(root);
  }
  return {
    checks: [...embeddedHostChecks(facts), ...storeChecks(input.root, report, repair)],
    store: report,
    repair,
  };
}
