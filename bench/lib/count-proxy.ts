import net from 'node:net';

/**
 * Counting TCP proxies on loopback, between an app and PostgreSQL or Redis. They read only the
 * client's side of the wire, so the same counter works for any client library (node-postgres,
 * MikroORM, Kysely inside Better Auth, ioredis).
 */
export interface CountingProxy {
  /** The target URL with host and port replaced by the proxy's. */
  url: string;
  /** Commands seen since the last reset. */
  count(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Feeds client→server bytes of one connection; returns how many commands they completed. */
type Parser = (chunk: Buffer) => number;

/**
 * PostgreSQL frontend protocol: an untyped startup packet (preceded by an SSL or GSS request, each
 * answered with one byte), then typed messages `type(1) length(4) body`. Counts 'Q' (simple query)
 * and 'E' (Execute of the extended protocol; one per statement run, prepared or not).
 */
export function pgParser(): Parser {
  let pending: Buffer = Buffer.alloc(0);
  let startup = true;
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let offset = 0;
    let commands = 0;
    for (;;) {
      if (startup) {
        if (pending.length - offset < 8) break;
        const length = pending.readInt32BE(offset);
        if (pending.length - offset < length) break;
        const code = pending.readInt32BE(offset + 4);
        offset += length;
        // 80877103 SSLRequest, 80877104 GSSENCRequest: the real startup packet follows.
        if (code !== 80877103 && code !== 80877104) startup = false;
        continue;
      }
      if (pending.length - offset < 5) break;
      const length = pending.readInt32BE(offset + 1);
      if (pending.length - offset < 1 + length) break;
      const type = pending[offset];
      if (type === 0x51 /* Q */ || type === 0x45 /* E */) commands++;
      offset += 1 + length;
    }
    pending = pending.subarray(offset);
    return commands;
  };
}

/** Redis RESP from a client: arrays of bulk strings (`*n`, then n × `$len data`), or inline commands. */
export function redisParser(): Parser {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let offset = 0;
    let commands = 0;
    outer: for (;;) {
      const lineEnd = pending.indexOf('\r\n', offset);
      if (lineEnd < 0) break;
      if (pending[offset] !== 0x2a /* * */) {
        // Inline command: one line.
        offset = lineEnd + 2;
        commands++;
        continue;
      }
      const parts = Number(pending.toString('latin1', offset + 1, lineEnd));
      let cursor = lineEnd + 2;
      for (let i = 0; i < parts; i++) {
        const headerEnd = pending.indexOf('\r\n', cursor);
        if (headerEnd < 0) break outer;
        const size = Number(pending.toString('latin1', cursor + 1, headerEnd));
        cursor = headerEnd + 2 + size + 2;
        if (cursor > pending.length) break outer;
      }
      offset = cursor;
      commands++;
    }
    pending = pending.subarray(offset);
    return commands;
  };
}

export async function startCountingProxy(targetUrl: string, makeParser: () => Parser): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || (target.protocol.startsWith('redis') ? 6379 : 5432));
  const sockets = new Set<net.Socket>();
  let commands = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, target.hostname);
    sockets.add(client).add(upstream);
    const parse = makeParser();
    client.on('data', (chunk: Buffer) => { commands += parse(chunk); });
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.href,
    count: () => commands,
    reset: () => { commands = 0; },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

export const startPgProxy = (url: string) => startCountingProxy(url, pgParser);
export const startRedisProxy = (url: string) => startCountingProxy(url, redisParser);
