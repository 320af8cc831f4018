/**
 * Checks that need more than one field, or the files around devenv.yml: stage references, paths that leave the project, dangerous host mounts. Returns diagnostics; never throws.
 */
import type { Diagnostic } from './diagnostic.js';
import { checkMounts, checkProjectPaths } from './rules-paths.js';
import { checkStages } from './rules-stages.js';
import type { Report, RuleContext } from './rules-types.js';
import type { DevenvConfig } from './schema.js';

export type { RuleContext } from './rules-types.js';

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY)/i;

/** Runs every cross-field and filesystem rule over a config that passed the schema. */
export function checkRules(config: DevenvConfig, ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (
    severity: Diagnostic['severity'],
    code: string,
    fieldPath: (string | number)[],
    message: string,
    hint?: string,
    which: 'key' | 'value' = 'value',
  ) => {
    const pos = ctx.locate(fieldPath, which);
    out.push({
      severity,
      code,
      message,
      path: fieldPath,
      file: ctx.file,
      line: pos?.line,
      col: pos?.col,
      hint,
    });
  };

  checkStages(config, report);
  checkProjectPaths(config, ctx, report);
  checkMounts(config, ctx, report);
  checkSecrets(config, ctx, report);

  if (config.container.privileged)
    report(
      'warning',
      'privileged',
      ['container', 'privileged'],
      'privileged: true gives the container every capability and every host device',
    );
  config.devices.paths.forEach((device, i) => {
    report(
      'warning',
      'device',
      ['devices', 'paths', i],
      `the host device ${device} is shared with the container`,
    );
  });
  if (config.devices.x11 && config.network === 'host') {
    report(
      'warning',
      'x11-host-network',
      ['devices', 'x11'],
      "with network: host the X server's abstract socket is reachable from the container even without the cookie",
      'use network: private for untrusted code',
    );
  }
  if (config.ports.length > 0 && config.network !== 'private') {
    report(
      'warning',
      'ports-ignored',
      ['ports'],
      `ports are only published with network: private (network is ${config.network}, so the container already uses the host's ports)`,
    );
  }
  return out;
}

function checkSecrets(config: DevenvConfig, ctx: RuleContext, report: Report): void {
  for (const [key, value] of Object.entries(config.env)) {
    if (SECRET_NAME.test(key))
      report(
        'warning',
        'secret-env',
        ['env', key],
        `${key} looks like a secret; env values are stored in the container's config and in saved bundles`,
        'pass secrets at run time instead (a mounted file or your shell)',
        'key',
      );
    const written = ctx.sourceAt(['env', key]);
    if (typeof value === 'number' && written !== undefined && written !== String(value))
      report(
        'warning',
        'number-env',
        ['env', key],
        `${key}: ${written} is read as the number ${String(value)}`,
        'quote the value to keep it exactly as written',
      );
  }
  for (const key of Object.keys(config.build.args ?? {})) {
    if (SECRET_NAME.test(key))
      report(
        'warning',
        'secret-arg',
        ['build', 'args', key],
        `${key} looks like a secret; build arguments are visible in the image history`,
        undefined,
        'key',
      );
  }
}
