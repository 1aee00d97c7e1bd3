import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** `forward` passes bytes through; `refuse` closes new connections at once; `blackhole` accepts and never answers. */
  setMode(mode: 'forward' | 'refuse' | 'blackhole'): void;
  /** Extra latency on every chunk the service sends back (0 = none). Applies to open connections too. */
  setDelay(ms: number): void;
  /** Cuts every open connection (in-flight statements fail). */
  cutAll(): void;
  /**
   * Cuts the connection whose client next sends a chunk containing `text` (a statement's parameter, `commit`),
   * before that chunk reaches the service: a cut at a chosen point of a transaction, once.
   */
  cutOn(text: string): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy in front of a real service, to inject faults without touching the service itself. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'forward' | 'refuse' | 'blackhole' = 'forward';
  let delayMs = 0;
  let tripwire: Buffer | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === 'refuse') return void client.destroy();
    if (mode === 'blackhole') return;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(upstream);
    upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk: Buffer) => {
      if (tripwire && chunk.includes(tripwire)) {
        tripwire = undefined;
        upstream.destroy();
        return void client.destroy();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      // A black hole also swallows the answers on connections that were open before it.
      if (mode === 'blackhole') return;
      if (delayMs === 0) return void client.write(chunk);
      setTimeout(() => { if (!client.destroyed) client.write(chunk); }, delayMs).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    setMode: (next) => { mode = next; },
    setDelay: (ms) => { delayMs = ms; },
    cutAll: () => { for (const socket of sockets) socket.destroy(); },
    cutOn: (text) => { tripwire = Buffer.from(text); },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
