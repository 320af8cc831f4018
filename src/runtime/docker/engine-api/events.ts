/**
 * The engine's event stream over the API (`GET /events`), with the same filters as `docker events`
 * in docker-events.ts: container events of devenv's containers only. The engine writes one JSON
 * object per line, the same document the CLI prints with `--format '{{json .}}'`, so the same
 * reader decides what each line means.
 */
import { createInterface } from 'node:readline';
import { LABELS } from '../../../plan/compile-plan.js';
import type { EventStream } from '../docker-events.js';
import { changeOfEventLine } from '../docker-events.js';
import type { EngineApi } from './client.js';

/** The query of `GET /events`: container events of devenv's containers, replayed from `since`. */
export function eventsPath(since: number | undefined): string {
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], label: [LABELS.name] }));
  return `/events?filters=${filters}${since === undefined ? '' : `&since=${since}`}`;
}

/**
 * One connection to `/events`. A refused or failed connection ends it like a stream that ended (the
 * watch reconnects later and refreshes everything), as a `docker events` child that exits does.
 */
export function apiEventStream(api: EngineApi): EventStream {
  return async (since, signal, onChange) => {
    let response;
    try {
      // No limit: the stream is open for as long as the watch runs.
      response = await api.stream({ method: 'GET', path: eventsPath(since), as: ['events'] });
    } catch {
      return;
    }
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        response.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      createInterface({ input: response }).on('line', (line) => {
        const name = changeOfEventLine(line);
        if (name !== null) onChange(name);
      });
      const finish = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      response.on('error', finish);
      response.on('close', finish);
    });
  };
}
