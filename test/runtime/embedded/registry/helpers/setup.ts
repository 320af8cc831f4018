/** Test fixtures for the registry client: temp homes, a client factory and an in-memory sink. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { RegistryClient } from '../../../../../src/runtime/embedded/registry/client.js';
import type { RegistryClientOptions } from '../../../../../src/runtime/embedded/registry/client.js';
import type { BlobSink } from '../../../../../src/runtime/embedded/registry/sink.js';
import { afterEach } from 'vitest';
import { FakeRegistry } from './fake-registry.js';

export const defaultSettings = { registryMirrors: {}, insecureRegistries: [], proxy: 'none' as const };

const dirs: string[] = [];

/** A fresh temp folder removed by {@link cleanupDirs}. */
export function tempDir(prefix = 'devenv-registry-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function cleanupDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A client with an empty temp home and no proxy, for amd64; `overrides` replace any option. */
export function makeClient(overrides: Partial<RegistryClientOptions> = {}): RegistryClient {
  return new RegistryClient({
    settings: defaultSettings,
    homeDir: tempDir('devenv-home-'),
    env: {},
    platform: { os: 'linux', architecture: 'amd64' },
    idleTimeoutMs: 5_000,
    ...overrides,
  });
}

/** A sink collecting bytes in memory; `committed` holds them only after commit. */
export function memorySink(): BlobSink & {
  received: Buffer[];
  committed: Buffer | undefined;
  discarded: boolean;
} {
  const received: Buffer[] = [];
  const sink = {
    received,
    committed: undefined as Buffer | undefined,
    discarded: false,
    writable: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        callback();
      },
    }),
    commit() {
      sink.committed = Buffer.concat(received);
      return Promise.resolve();
    },
    discard() {
      sink.discarded = true;
      return Promise.resolve();
    },
  };
  return sink;
}

/**
 * Registers an afterEach that closes every server opened during the test and removes the temp
 * folders; returns the list to add closers to and a starter for fake registries.
 */
export function trackServers(): { closers: (() => Promise<void>)[]; start: () => Promise<FakeRegistry> } {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    cleanupDirs();
  });
  const start = async () => {
    const registry = await FakeRegistry.start();
    closers.push(() => registry.close());
    return registry;
  };
  return { closers, start };
}
