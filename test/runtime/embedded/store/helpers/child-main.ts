/**
 * Entry point of the child processes the lock, crash and concurrency tests start (see child-runner).
 * `node child-main.js <command> …`; prints a JSON result on stdout, or the error on stderr and exits 1.
 * DEVENV_FAILPOINTS is honoured, so a test can SIGKILL the child at a named step.
 */
import { createReadStream } from 'node:fs';
import { appendFile, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { configureFailpoints } from '../../../../../src/util/failpoint.js';
import { exportImagesToFile, importArchive } from '../../../../../src/runtime/embedded/archive/index.js';
import { moveStorage, openStore, pruneStore } from '../../../../../src/runtime/embedded/store/index.js';
import { tarUnpacker } from './tar-unpacker.js';

configureFailpoints(process.env['DEVENV_FAILPOINTS']);

/** What `image` reads: layer blob files with their descriptors, a config file and an optional tag. */
interface ImageSpec {
  layers: { file: string; digest: string; diffId: string; mediaType: string; size: number }[];
  config: string;
  tag?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

function slow(ms: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      setTimeout(() => {
        callback(null, chunk);
      }, ms);
    },
  });
}

async function main(args: string[]): Promise<unknown> {
  const [command = '', root = ''] = args;
  const open_ = (lockTimeoutMs = 120_000) => openStore({ root, unpack: tarUnpacker, lockTimeoutMs });
  switch (command) {
    case 'ingest': {
      const [, , file = '', digest = '', log] = args;
      const store = await open_();
      return store.blobs.ingest({ digest }, async () => {
        if (log !== undefined) await appendFile(log, `${process.pid}\n`);
        return createReadStream(file, { highWaterMark: 16 * 1024 }).pipe(slow(5));
      });
    }
    case 'image': {
      const spec = JSON.parse(await readFile(args[2] ?? '', 'utf8')) as ImageSpec;
      const store = await open_();
      const lease = await store.createLease('child image');
      let parent: string | undefined;
      for (const layer of spec.layers) {
        const blob = { digest: layer.digest, mediaType: layer.mediaType, size: layer.size };
        await store.blobs.ingest(blob, () => createReadStream(layer.file), { lease });
        parent = (await store.layers.create({ parent, blob, expectedDiffId: layer.diffId, lease })).chainId;
      }
      const config = await readFile(spec.config);
      const record = await store.images.put({
        config,
        layers: spec.layers.map(({ digest, mediaType, size }) => ({ digest, mediaType, size })),
        lease,
      });
      if (spec.tag !== undefined) await store.refs.set([{ name: spec.tag, id: record.id }]);
      await lease.release();
      return { id: record.id };
    }
    case 'tag': {
      const store = await open_();
      return store.refs.set([{ name: args[2] ?? '', id: args[3] ?? '' }]);
    }
    case 'remove-layer': {
      const store = await open_();
      await store.layers.remove(args[2] ?? '');
      return {};
    }
    case 'prune':
      return pruneStore(await open_());
    case 'lock-loop': {
      // Takes the store lock `rounds` times; inside, a marker created with O_EXCL proves exclusivity.
      const store = await open_();
      const marker = path.join(root, 'holder');
      let violations = 0;
      for (let i = 0; i < Number(args[2] ?? '5'); i++) {
        await store.ctx.withStoreLock('lock test', async () => {
          const handle = await open(marker, 'wx').catch(() => undefined);
          if (handle === undefined) violations++;
          await sleep(5 + Math.random() * 15);
          await handle?.close();
          if (handle !== undefined) await rm(marker);
        });
      }
      return { violations };
    }
    case 'lock-die': {
      const store = await open_();
      await store.ctx.withStoreLock('about to be killed', async () => {
        process.stdout.write('HOLD\n');
        process.kill(process.pid, 'SIGKILL');
        await sleep(60_000);
      });
      return {};
    }
    case 'lock-wait': {
      const store = await open_(Number(args[2] ?? '10000'));
      const start = Date.now();
      await store.ctx.withStoreLock('waiting test', () => Promise.resolve());
      return { waitedMs: Date.now() - start };
    }
    case 'import':
      return importArchive(await open_(), createReadStream(args[2] ?? ''));
    case 'export': {
      const plan = await exportImagesToFile(await open_(), args.slice(3), args[2] ?? '');
      return plan.images;
    }
    case 'move': {
      const [, from = '', to = '', settings = ''] = args;
      return moveStorage({ from, to, switchTo: (next) => writeFile(settings, next) });
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (error: unknown) => {
    const e = error as { code?: string; message?: string };
    process.stderr.write(`${e.code ?? 'ERROR'}: ${e.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
