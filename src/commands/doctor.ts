/**
 * `devenv doctor [--repair] [--json]`: what this host supports (Docker: CLI, daemon, driver, mode,
 * endpoint; embedded: Linux, overlayfs, namespaces, util-linux, tini) and whether the embedded store
 * is consistent, with `--repair` fixing what a crash left. Exits 0 when nothing failed. Failures of
 * the runtime not in use are only warnings (see weighChecks).
 */
import { doctorExitCode, weighChecks } from '../runtime/checks.js';
import type { CheckSection, HostCheck } from '../runtime/checks.js';
import { dockerChecks, probeDocker } from '../runtime/docker/doctor.js';
import { embeddedDoctor } from '../runtime/embedded/doctor.js';
import { chooseRuntime, dockerTarget, embeddedStoreRoot } from '../runtime/factory.js';
import { defineCommand } from './context.js';
import { runtimeHost, settingsOf } from './project.js';

function render(checks: readonly HostCheck[]): string {
  const lines: string[] = [];
  for (const section of ['docker', 'embedded', 'store'] as const) {
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
    const host = runtimeHost(ctx, settings);
    const choice = chooseRuntime({ flag: ctx.args.globals.runtime, settings: settings.runtime });
    const binary = choice === 'podman' ? 'podman' : 'docker';
    const root = embeddedStoreRoot(host);
    const [docker, embedded] = await Promise.all([
      probeDocker(dockerTarget(binary, host)).then(dockerChecks),
      embeddedDoctor({
        root,
        repair: ctx.args.options['repair'] === true,
        env: ctx.env,
        uid: host.uid,
        platform: ctx.platform,
        tmpDir: ctx.env['TMPDIR'] ?? '/tmp',
      }),
    ]);
    // auto picks Docker until the embedded runtime runs containers (see createRuntime).
    const counted = new Set<CheckSection>([choice === 'embedded' ? 'embedded' : 'docker']);
    const checks = weighChecks([...docker, ...embedded.checks], counted);
    const status = doctorExitCode(checks);
    if (ctx.args.globals.json)
      ctx.out.json({
        outcome: status === 0 ? 'ok' : 'failed',
        runtime: choice,
        store: { root: root.root, source: root.source, issues: embedded.store?.issues ?? [] },
        repair: embedded.repair === undefined ? undefined : { actions: embedded.repair.actions },
        checks,
      });
    else ctx.out.result(render(checks));
    return status;
  },
});
