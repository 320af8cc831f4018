/**
 * Adding entries to a tar-stream pack without uncaught errors. When the pack's destination fails
 * (a full disk, a closed pipe), tar-stream destroys the current and every queued entry with that
 * error, and an entry with no 'error' listener crashes the process. The failure itself reaches the
 * caller through the pack's own pipeline, so an entry's copy of it is dropped here.
 */

import type { Header, Pack } from 'tar-stream';

type EntryHeader = Partial<Header> & Pick<Header, 'name'>;
type Sink = ReturnType<Pack['entry']>;
type Done = (error?: Error | null) => void;

/** Adds an entry whose body is `body`, written at once. */
export function packBody(pack: Pack, header: EntryHeader, body: string | Uint8Array, done?: Done): Sink {
  return quiet(pack.entry(header, body, done));
}

/** Adds an entry; a file's body (`header.size` bytes) goes into the returned stream. */
export function packEntry(pack: Pack, header: EntryHeader, done?: Done): Sink {
  return quiet(pack.entry(header, done));
}

function quiet(sink: Sink): Sink {
  sink.on('error', () => undefined);
  return sink;
}
