/**
 * `devenv doctor [--repair] [--json]`: what this host supports (Docker: CLI, daemon, driver, mode,
 * endpoint; embedded: Linux, overlayfs, namespaces, util-linux, tini) and whether the embedded store
 * is consistent, with `--repair` fixing what a crash left. Exits 0 when nothing failed. Failures of
 * the runtime not in use are only warnings (see weighChecks).
 */
import { doctorExitCode } from '../runtime/checks.js';
import type { HostCheck } from '../runtime/checks.js';
import { chooseRuntime } from '../runtime/factory.js';
import { diagnoseHost } from '../runtime/host-doctor.js';
import { defineCommand } from './command.js';
import { runtimeHost, settingsOf } from './project.js';

function render(checks: readonly HostCheck[]): string {
  const lines: string[] = [];
  for (const section of ['runtime', 'docker', 'embedded', 'store'] as const) {
    lines.push(section);
    for (const c of checks.filter((x) => x.section === section)) {
      const [first = '', ...more] = c.detail.split('\n');
      lines.push(`  ${c.status.padEnd(5)} ${c.name.padEnd(17)} ${first}`);
      for (const line of more) lines.push(`  ${''.padEnd(5)} ${''.padEnd(17)} ${line}`);
      if (c.hint !== undefined) lines.push(`  ${''.padEnd(5)} ${''.padEnd(17)} hint: ${c.hint}`);
    }
  }
  return lines.join('\n');
}

export default defineCommand({
  name: 'doctor',
  summary: 'Check what this host supports and whether the embedded store is consistent',
  usage: '[--repair]',
  options: { repair: { type: 'boolean', description: 'Repair the embedded store where it can' } },
  async run(ctx) {
    const settings = await settingsOf(ctx);
    const choice = chooseRuntime({ flag: ctx.args.globals.runtime, settings: settings.runtime });
    const report = await diagnoseHost(choice, runtimeHost(ctx, settings), {
      repair: ctx.args.options['repair'] === true,
      platform: ctx.platform,
    });
    const status = doctorExitCode(report.checks);
    if (ctx.args.globals.json)
      ctx.out.json({
        outcome: status === 0 ? 'ok' : 'failed',
        runtime: choice,
        store: report.store,
        repair: report.repair,
        checks: report.checks,
      });
    else ctx.out.result(render(report.checks));
    return status;
  },
});
