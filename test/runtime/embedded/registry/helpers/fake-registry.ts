/**
 * An in-memory OCI registry on 127.0.0.1 for unit tests: manifests, blobs (with Range), uploads
 * (monolithic and chunked, with relative or absolute Locations that carry query state), Basic or
 * Bearer auth, and an `intercept` hook for hostile answers. Every request's headers are recorded.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export type Intercept = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, ...headers });
  res.end(data);
}

/** Records and answers requests; `start` it, `close` it. */
export class FakeRegistry {
  readonly requests: Recorded[] = [];
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { raw: Buffer; mediaType: string }>();
  private readonly uploads = new Map<string, Buffer>();
  auth:
    | { kind: 'basic'; user: string; password: string }
    | { kind: 'bearer'; realm: string; service: string; token: string }
    | undefined;
  intercept: Intercept | undefined;
  locationStyle: 'relative' | 'absolute' = 'relative';
  address = '';
  private server: http.Server | undefined;

  static async start(tls?: { key: string; cert: string }): Promise<FakeRegistry> {
    const registry = new FakeRegistry();
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      registry.handle(req, res).catch(() => res.destroy());
    };
    registry.server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
    await new Promise<void>((resolve) => registry.server?.listen(0, '127.0.0.1', resolve));
    registry.address = `127.0.0.1:${(registry.server.address() as AddressInfo).port}`;
    return registry;
  }

  get port(): number {
    return Number(this.address.split(':')[1]);
  }

  /** Stores a blob; returns its descriptor fields. */
  addBlob(content: Uint8Array, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip') {
    const digest = sha256(content);
    this.blobs.set(digest, Buffer.from(content));
    return { mediaType, digest, size: content.byteLength };
  }

  /** Stores a manifest under its digest and, when given, a tag; returns its descriptor fields. */
  addManifest(repo: string, tag: string | undefined, doc: unknown, mediaType: string) {
    const raw = Buffer.isBuffer(doc) ? doc : Buffer.from(JSON.stringify(doc));
    const digest = sha256(raw);
    this.manifests.set(`${repo}@${digest}`, { raw, mediaType });
    if (tag !== undefined) this.manifests.set(`${repo}:${tag}`, { raw, mediaType });
    return { mediaType, digest, size: raw.length };
  }

  /** A minimal single-layer image under `repo:tag`; returns the descriptors and the layer bytes. */
  addImage(repo: string, tag: string | undefined, layerBytes: Uint8Array = randomBytes(4096)) {
    const layer = this.addBlob(layerBytes);
    const config = this.addBlob(
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [layer.digest] },
        }),
      ),
      'application/vnd.oci.image.config.v1+json',
    );
    const mediaType = 'application/vnd.oci.image.manifest.v1+json';
    const manifest = this.addManifest(
      repo,
      tag,
      { schemaVersion: 2, mediaType, config, layers: [layer] },
      mediaType,
    );
    return { manifest, config, layer, layerBytes };
  }

  private authorized(req: IncomingMessage, res: ServerResponse, repo: string | undefined): boolean {
    const auth = this.auth;
    if (auth === undefined) return true;
    const given = req.headers.authorization;
    if (auth.kind === 'basic') {
      if (given === `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`) return true;
      json(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        { 'www-authenticate': 'Basic realm="fake"' },
      );
      return false;
    }
    if (given === `Bearer ${auth.token}`) return true;
    const scope = repo === undefined ? '' : `,scope="repository:${repo}:pull"`;
    json(
      res,
      401,
      { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
      {
        'www-authenticate': `Bearer realm="${auth.realm}",service="${auth.service}"${scope}`,
      },
    );
    return false;
  }

  private location(req: IncomingMessage, repo: string, id: string, state: string): string {
    const path = `/v2/${repo}/blobs/uploads/${id}?_state=${state}`;
    return this.locationStyle === 'relative' ? path : `http://${req.headers.host ?? this.address}${path}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${this.address}`);
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '', headers: req.headers });
    if (this.intercept !== undefined && (await this.intercept(req, res, url))) return;
    const path = url.pathname;
    if (path === '/v2/') {
      if (this.authorized(req, res, undefined)) json(res, 200, {});
      return;
    }
    const m = /^\/v2\/(.+?)\/(manifests|blobs\/uploads|blobs)\/?(.*)$/.exec(path);
    if (m === null) {
      json(res, 404, { errors: [{ code: 'NOT_FOUND' }] });
      return;
    }
    const [, repo = '', kind, rest = ''] = m;
    if (!this.authorized(req, res, repo)) return;
    const body = await readAll(req);
    if (kind === 'manifests') {
      if (req.method === 'PUT') {
        const mediaType = req.headers['content-type'] ?? '';
        const desc = this.addManifest(repo, rest.startsWith('sha256:') ? undefined : rest, body, mediaType);
        res.writeHead(201, {
          'docker-content-digest': desc.digest,
          location: `/v2/${repo}/manifests/${desc.digest}`,
        });
        return void res.end();
      }
      const sep = rest.startsWith('sha256:') ? '@' : ':';
      const found = this.manifests.get(`${repo}${sep}${rest}`);
      if (found === undefined) {
        json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
        return;
      }
      res.writeHead(200, {
        'content-type': found.mediaType,
        'content-length': found.raw.length,
        'docker-content-digest': sha256(found.raw),
      });
      return void res.end(req.method === 'HEAD' ? undefined : found.raw);
    }
    if (kind === 'blobs') {
      const blob = this.blobs.get(rest);
      if (blob === undefined) {
        json(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] });
        return;
      }
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range?.[1] === undefined ? 0 : Number(range[1]);
      const part = blob.subarray(start);
      res.writeHead(range === null ? 200 : 206, {
        'content-length': part.length,
        'content-type': 'application/octet-stream',
        ...(range === null ? {} : { 'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}` }),
      });
      return void res.end(req.method === 'HEAD' ? undefined : part);
    }
    // uploads
    if (req.method === 'POST') {
      const mount = url.searchParams.get('mount');
      if (mount !== null && this.blobs.has(mount)) {
        res.writeHead(201, { location: `/v2/${repo}/blobs/${mount}` });
        return void res.end();
      }
      const id = randomBytes(8).toString('hex');
      this.uploads.set(id, Buffer.alloc(0));
      res.writeHead(202, {
        location: this.location(req, repo, id, 'a%2Bb%3Dc'),
        'docker-upload-uuid': id,
        range: '0-0',
      });
      return void res.end();
    }
    const upload = this.uploads.get(rest);
    if (upload === undefined || url.searchParams.get('_state') === null) {
      json(res, 404, { errors: [{ code: 'BLOB_UPLOAD_UNKNOWN' }] });
      return;
    }
    if (req.method === 'PATCH') {
      const start = Number((req.headers['content-range'] ?? '').split('-')[0]);
      if (start !== upload.length) {
        json(res, 416, { errors: [{ code: 'BLOB_UPLOAD_INVALID' }] });
        return;
      }
      this.uploads.set(rest, Buffer.concat([upload, body]));
      res.writeHead(202, {
        location: this.location(req, repo, rest, `n${upload.length + body.length}`),
        range: `0-${upload.length + body.length - 1}`,
      });
      return void res.end();
    }
    const all = Buffer.concat([upload, body]);
    const digest = url.searchParams.get('digest');
    if (digest !== sha256(all)) {
      json(res, 400, { errors: [{ code: 'DIGEST_INVALID' }] });
      return;
    }
    this.blobs.set(digest, all);
    this.uploads.delete(rest);
    res.writeHead(201, { 'docker-content-digest': digest, location: `/v2/${repo}/blobs/${digest}` });
    res.end();
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server?.close(() => {
        resolve();
      }),
    );
  }
}
