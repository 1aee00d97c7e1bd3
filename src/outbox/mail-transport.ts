import nodemailer from 'nodemailer';
import type { MailTransport } from '../ports/mail.ts';

export interface OwnedTransport {
  transport: MailTransport;
  /** Closes the pool only when verigate created it; a host's transporter stays the host's. */
  close(): void;
}

/**
 * Turns `mail.transport` into something that sends. SMTP URLs get explicit timeouts so a hung
 * server cannot stall the worker (nodemailer's own defaults are minutes long).
 */
export function createMailTransport(transport: MailTransport | string, sendTimeoutMs: number): OwnedTransport {
  if (typeof transport !== 'string') return { transport, close: () => {} };
  const transporter = nodemailer.createTransport({
    url: transport,
    connectionTimeout: Math.min(sendTimeoutMs, 10_000),
    greetingTimeout: Math.min(sendTimeoutMs, 10_000),
    socketTimeout: sendTimeoutMs,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    transport: transporter as unknown as MailTransport,
    close: () => transporter.close(),
  };
}
