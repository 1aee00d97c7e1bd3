import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  /** When the DATA transfer began and when the sink answered it (ms, performance clock). */
  start: number;
  end?: number;
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SmtpSink {
  url: string;
  port: number;
  messages: SunkMessage[];
  stop(): Promise<void>;
}

/**
 * An SMTP server on loopback that takes `delayMs` to accept each message (as a slow provider
 * would), holding only that connection: smtp-server serves connections concurrently.
 */
export async function startSlowSink(delayMs: number): Promise<SmtpSink> {
  const messages: SunkMessage[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    closeTimeout: 200,
    logger: false,
    size: 1 << 20,
    onData(stream, session, callback) {
      const message: SunkMessage = {
        start: performance.now(), raw: Buffer.alloc(0),
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
      };
      messages.push(message);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        message.raw = Buffer.concat(chunks);
        const timer = setTimeout(() => {
          timers.delete(timer);
          message.end = performance.now();
          callback();
        }, delayMs);
        timers.add(timer);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    stop: () => new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.close(() => resolve());
    }),
  };
}

/**
 * Delivery rate of the messages whose transfer began in [from, to): their number divided by the
 * time from the first one's start to the last one's acceptance. Waits (bounded) for stragglers.
 */
export async function deliveryRate(sink: SmtpSink, from: number, to: number, graceMs: number): Promise<{ messages: SunkMessage[]; perSecond: number }> {
  const inWindow = () => sink.messages.filter((m) => m.start >= from && m.start < to);
  const deadline = performance.now() + graceMs;
  while (inWindow().some((m) => m.end === undefined) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const done = inWindow().filter((m) => m.end !== undefined);
  if (done.length === 0) return { messages: [], perSecond: 0 };
  const first = Math.min(...done.map((m) => m.start));
  const last = Math.max(...done.map((m) => m.end!));
  return { messages: done, perSecond: done.length / ((last - first) / 1000) };
}
