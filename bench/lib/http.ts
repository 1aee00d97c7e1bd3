import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface Listening {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
  /** Requests the server is still handling (a client that hung up does not stop its handler). */
  inFlight?(): number;
}

/** Listens on a free loopback port. Closing cuts keep-alive connections and waits for handlers still running. */
export async function listen(app: Express): Promise<Listening> {
  let inFlight = 0;
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  server.on('request', (req, res) => {
    inFlight++;
    res.on('close', () => { inFlight--; });
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inFlight: () => inFlight,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      const deadline = Date.now() + 5000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

/** The `name=value` part of the first Set-Cookie header of a response. */
export function cookieOf(res: Response, name?: string): string {
  const cookies = res.headers.getSetCookie();
  const found = name ? cookies.find((c) => c.startsWith(`${name}=`)) : cookies[0];
  if (!found) throw new Error(`no ${name ?? ''} cookie in the response (status ${res.status})`);
  return found.split(';')[0];
}
