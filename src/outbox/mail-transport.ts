import nodemailer from 'nodemailer';
import type { MailTransport } from '../ports/mail.ts';

export interface OwnedTransport {
  transport: MailTransport;
  /** Closes the pool only when verigate created it; a host's transporter stays the host's. */
  close(): void;
}

// A server that accepts TCP but never greets must cost seconds, not the minutes of nodemailer's defaults.
const MAX_CONNECT_MS = 5_000;

/**
 * Turns `mail.transport` into something that sends. An SMTP URL gets a **pool** of up to
 * `connections` connections (the worker's batch is sent concurrently, so one slow or dead
 * connection does not hold up the rest) and explicit connect, greeting and socket timeouts.
 */
export function createMailTransport(transport: MailTransport | string, sendTimeoutMs: number, connections = 5): OwnedTransport {
  if (typeof transport !== 'string') return { transport, close: () => {} };
  const transporter = nodemailer.createTransport({
    url: transport,
    pool: true,
    maxConnections: Math.max(1, Math.min(connections, 20)),
    maxMessages: 100,
    connectionTimeout: Math.min(sendTimeoutMs, MAX_CONNECT_MS),
    greetingTimeout: Math.min(sendTimeoutMs, MAX_CONNECT_MS),
    socketTimeout: sendTimeoutMs,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    transport: transporter as unknown as MailTransport,
    close: () => transporter.close(),
  };
}
