import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RawRequest {
  method: string;
  /** Sent exactly as written: no URL normalisation of dots, slashes, case or escapes. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  /** -1: the connection was reset by the server's HTTP layer (e.g. headers over its size limit). */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawClient {
  send(request: RawRequest): Promise<RawResponse>;
  close(): Promise<void>;
}

/** Listens on loopback and sends requests byte for byte (supertest would normalise `/./x`, `%2e` and the like). */
export async function rawClient(app: Express): Promise<RawClient> {
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const { port } = server.address() as AddressInfo;
  return {
    send: ({ method, path, headers = {}, body }) => new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // Node's HTTP server answers oversized headers (431) and drops the socket, often before the
      // client has read the answer: report that as a refusal by the HTTP layer, not a failure.
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: -1, headers: {}, text: '' });
        else reject(error);
      });
      if (body !== undefined) req.write(body);
      req.end();
    }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** The `name=value` pairs of a response's Set-Cookie, as a Cookie header. */
export function cookieOf(response: RawResponse, previous = ''): string {
  const set = [response.headers['set-cookie'] ?? []].flat();
  const jar = new Map(previous.split('; ').filter(Boolean).map((pair) => [pair.split('=')[0], pair] as const));
  for (const line of set) {
    const pair = line.split(';')[0];
    jar.set(pair.split('=')[0], pair);
  }
  return [...jar.values()].join('; ');
}
