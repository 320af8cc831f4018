/**
 * Reading response bodies into memory, always under a cap (reliability rule 8): a registry that
 * announces or streams more than the cap is cut off and its connection closed.
 */
import type { ReadableStreamDefaultReader } from 'node:stream/web';
import type { Response } from 'undici';
import { limitError } from './errors.js';
import { networkError } from './network-error.js';

/** Manifests and indexes: containerd's limit, 4 MiB. */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;
/** Token responses, error documents and other small JSON. */
export const SMALL_LIMIT = 1024 * 1024;

/** A typed reader of a response body (undici types body chunks as `any`), or undefined without a body. */
export function bodyReader(response: Response): ReadableStreamDefaultReader<Uint8Array> | undefined {
  return (response.body?.getReader() ?? undefined) as ReadableStreamDefaultReader<Uint8Array> | undefined;
}

/**
 * The whole body of `response`, or `DEVENV_LIMIT` as soon as it is known to exceed `cap` bytes
 * (from Content-Length, or after reading `cap + 1` bytes of an endless body).
 */
export async function readCapped(
  response: Response,
  cap: number,
  what: string,
  host: string,
  idleTimeoutMs: number,
): Promise<Uint8Array> {
  const tooBig = () =>
    limitError(
      `${what} from ${host} is larger than ${cap} bytes; refusing to read it`,
      'this is not a normal registry answer; check the registry address',
    );
  const announced = Number(response.headers.get('content-length') ?? Number.NaN);
  if (announced > cap) {
    await response.body?.cancel().catch(() => undefined);
    throw tooBig();
  }
  const reader = bodyReader(response);
  if (reader === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let next: Awaited<ReturnType<typeof reader.read>>;
    try {
      next = await reader.read();
    } catch (error) {
      throw networkError(host, error, idleTimeoutMs);
    }
    if (next.done) break;
    total += next.value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks, total);
}

/**
 * A short description of a registry error response: `MANIFEST_UNKNOWN: manifest unknown`, from the
 * distribution error document when there is one, else the HTTP status. Never throws.
 */
export async function describeErrorBody(response: Response, host: string): Promise<string> {
  try {
    const raw = await readCapped(response, 64 * 1024, 'error document', host, 10_000);
    const parsed = JSON.parse(Buffer.from(raw).toString('utf8')) as {
      errors?: { code?: unknown; message?: unknown }[];
    };
    const first = parsed.errors?.[0];
    if (first !== undefined) {
      const text = [first.code, first.message].filter((s) => typeof s === 'string').join(': ');
      if (text !== '') return text.slice(0, 300);
    }
  } catch {
    /* not JSON, too big or cut off: the status says enough */
  }
  return `HTTP ${response.status}`;
}
