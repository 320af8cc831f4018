/**
 * K4: pulls of overlapping images at once, in separate processes, into one store. All succeed, the
 * store checks clean, and every blob crosses the wire once: a small HTTP proxy in front of the
 * registry counts the blob GETs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  devenv,
  devenvJson,
  imageRecord,
  layeredImage,
  noRegistry,
  sandbox,
  services,
} from './env.js';
import type { ListedImage } from './env.js';

afterAll(cleanupSandboxes);

/** A pass-through proxy to `target` (`host:port`) counting blob GETs by digest. */
async function countingProxy(
  target: string,
): Promise<{ address: string; blobGets: Map<string, number>; close: () => Promise<void> }> {
  const [host = '127.0.0.1', port = '80'] = target.split(':');
  const blobGets = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const blob = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '')?.[1];
    if (blob !== undefined && req.method === 'GET') blobGets.set(blob, (blobGets.get(blob) ?? 0) + 1);
    const upstream = http.request(
      {
        host,
        port: Number(port),
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: target },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    blobGets,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe.skipIf(noRegistry)('embedded runtime: concurrent pulls (K4)', () => {
  it('busybox, busybox-plus (same base layer) and Debian twice, all at once: each blob fetched once', async () => {
    const box = sandbox();
    const proxy = await countingProxy(services.registry);
    try {
      const via = (ref: string) => ref.replace(services.registry, proxy.address);
      const busybox = via(services.busyboxImage);
      const plus = via(await layeredImage());
      const debian =
        services.debianImage === '' ? [] : [via(services.debianImage), via(services.debianImage)];
      const runs = await Promise.all([
        // Slowed mid-download, so the others arrive while it holds the shared base layer's ingest.
        devenv(box, ['pull', busybox], { failpoints: 'registry.blob.mid-stream:sleep=1500' }),
        devenv(box, ['pull', plus]),
        ...debian.map((ref) => devenv(box, ['pull', ref])),
      ]);
      for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);

      const listed = await devenvJson<ListedImage[]>(box, ['images']);
      const idOf = (ref: string) => listed.find((i) => i.tags.includes(ref))?.id ?? '';
      const base = imageRecord(box, idOf(busybox)).layers[0]?.digest;
      expect(imageRecord(box, idOf(plus)).layers[0]?.digest, 'the two images share a layer').toBe(base);
      expect(listed).toHaveLength(debian.length > 0 ? 3 : 2);
      expect(proxy.blobGets.get(base ?? '')).toBe(1);
      for (const [digest, count] of proxy.blobGets) expect(count, digest).toBe(1);
      expect(proxy.blobGets.size).toBeGreaterThanOrEqual(debian.length > 0 ? 5 : 3);
      const doctor = await devenv(box, ['doctor', '--json']);
      expect(doctor.exitCode, doctor.stdout).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
