/**
 * Network seams for tests that must never leave the machine: a DNS override that maps `*.test` names
 * to 127.0.0.1 and refuses everything else, and a fetch that records URLs and refuses non-loopback hosts.
 */
import type { LookupFunction } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import type { FetchLike } from '../../../../../src/runtime/embedded/registry/transport.js';

export const testLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname.endsWith('.test')) {
    if (options.all === true)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: '127.0.0.1', family: 4 },
      ]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  callback(Object.assign(new Error(`test lookup refuses ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
};

/** A fetch that records every URL and throws for any host that is neither loopback nor `*.test`. */
export function recordingFetch(): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (url, init) => {
      urls.push(url);
      const host = new URL(url).hostname;
      if (!(host === 'localhost' || host.startsWith('127.') || host.endsWith('.test')))
        return Promise.reject(new Error(`test refused a request to ${host}`));
      return undiciFetch(url, init);
    },
  };
}
