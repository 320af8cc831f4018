/**
 * Runs {@link benchEmbeddedImages} on its own: starts the private dockerd and loopback registry of the
 * e2e setup (with the Debian image when debootstrap can make it, else busybox), prints a table of
 * medians and ratios (and the rows as JSON with --json), and stops the services. The shared bench
 * runner will call benchEmbeddedImages directly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServices } from '../test/e2e/setup/services.js';
import { benchEmbeddedImages } from './embedded-images.js';
import type { BenchRow } from './embedded-images.js';

function table(rows: readonly BenchRow[]): string {
  const head = ['benchmark', 'devenv ms', 'peer', 'peer ms', 'ratio'];
  const cells = rows.map((r) => [
    r.name,
    String(r.median_ms),
    r.peer,
    String(r.peer_median_ms),
    r.ratio.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  return [head, ...cells]
    .map((c) =>
      c
        .map((v, i) => v.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'devenv-bench-'));
const services = await startServices(
  path.join(scratch, 'services'),
  process.env['DEVENV_TEST_CACHE'] ?? '/var/tmp/devenv-test-cache',
);
try {
  if (services.dockerHost === undefined || services.registry === undefined)
    throw new Error('the benchmark needs dockerd and docker-registry (run as root on the CI image)');
  const full = services.images.debian ?? services.images.busybox;
  const rows = await benchEmbeddedImages({
    dockerHost: services.dockerHost,
    registry: services.registry,
    image: full.slice(services.registry.length + 1),
    root: path.join(scratch, 'work'),
    runs: Number(process.env['BENCH_RUNS'] ?? 5),
    cli: process.env['DEVENV_CLI'],
  });
  console.log(`image: ${full}`);
  console.log(table(rows));
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
} finally {
  await services.stop();
  rmSync(scratch, { recursive: true, force: true });
}
