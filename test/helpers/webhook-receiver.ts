import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  readonly port: number;
  readonly url: string;
  /** Every request received, accepted or not. */
  readonly requests: ReceivedHook[];
  /** `ok` answers 204; `fail` answers 503; `hang` never answers. */
  setMode(mode: 'ok' | 'fail' | 'hang'): void;
  /** Stops listening (the port is refused) until `start()`. */
  stop(): Promise<void>;
  /** Listens again on the same port (nothing if already listening). */
  start(): Promise<void>;
}

/** A real HTTP server on loopback standing in for another service's webhook endpoint. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedHook[] = [];
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  let server: http.Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    const next = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (mode === 'hang') return;
        res.writeHead(mode === 'ok' ? 204 : 503).end();
      });
    });
    next.once('error', reject);
    next.listen(port, '127.0.0.1', () => {
      port = (next.address() as AddressInfo).port;
      server = next;
      resolve();
    });
  });
  await listen();
  return {
    get port() { return port; },
    get url() { return `http://127.0.0.1:${port}/hooks/verigate`; },
    requests,
    setMode(next) { mode = next; },
    async stop() {
      const current = server;
      server = undefined;
      if (!current) return;
      current.closeAllConnections();
      await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    start: () => (server ? Promise.resolve() : listen()),
  };
}
