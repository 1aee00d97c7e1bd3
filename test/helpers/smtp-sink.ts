import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** SMTP connections opened to the sink so far (a pool reuses them). */
  readonly connections: number;
  /** Resolves with the first message (received before or after the call) that matches. */
  waitFor(match: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

/** A real SMTP server on loopback that keeps what it receives: the mail side of integration tests. */
export async function startSmtpSink(port = 0, options: { rejectRecipient?: (address: string) => boolean } = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let connections = 0;
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // Otherwise every connection waits on a PTR query (up to 1.5 s) to the machine's resolver:
    // slow under load, and traffic that has no business leaving loopback.
    disableReverseLookup: true,
    // verigate's pooled transport keeps idle connections open; a stopping sink should not wait 30 s for them.
    closeTimeout: 200,
    logger: false,
    onConnect(session, callback) {
      connections++;
      callback();
    },
    onRcptTo(address, session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await simpleParser(raw);
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: typeof parsed.html === 'string' ? parsed.html : '',
          raw,
        });
        for (const wake of waiters) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as { port: number }).port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    messages,
    get connections() { return connections; },
    waitFor(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find(match);
          if (!hit) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(hit);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no matching email within ${timeoutMs} ms (received ${messages.length})`));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The verification link in a message's text part. */
export function linkFrom(mail: ReceivedMail): string {
  const match = /https?:\/\/\S+\/confirm\?token=[A-Za-z0-9_-]+/.exec(mail.text);
  if (!match) throw new Error(`no confirm link in: ${mail.text}`);
  return match[0];
}

export function tokenFrom(mail: ReceivedMail): string {
  return new URL(linkFrom(mail)).searchParams.get('token')!;
}
