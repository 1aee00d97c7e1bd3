import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { VerigateConfigError } from '../../src/config/config-error.ts';
import { pinoLogger } from '../../src/logging/pino-logger.ts';
import type { AuditRecord } from '../../src/audit/audit-event.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import type { ReceivedMail } from '../helpers/smtp-sink.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';
import type { LogLine } from '../helpers/service-host.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let host: UsersHost;
const logs: LogLine[] = [];

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services, {
    audit: { table: true },
    logger: {
      info: (message, meta) => { logs.push({ level: 'info', message, meta }); },
      warn: (message, meta) => { logs.push({ level: 'warn', message, meta }); },
      error: (message, meta) => { logs.push({ level: 'error', message, meta }); },
    },
    // Limits on, in the real Redis; only the per-user send rule tight enough to reach in a test.
    limits: { sendsPerUser: '2/1h' }, redis: services.redis.client, redisPrefix: `${services.redis.prefix}audit:`,
  });
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;
const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
async function nthMail(to: string, n: number): Promise<ReceivedMail> {
  await host.vg.drain();
  await services.sink.waitFor(() => mailsTo(to).length >= n);
  return mailsTo(to)[n - 1];
}
const tokenIn = (mail: ReceivedMail, path: string) => new RegExp(`${path}\\?token=([A-Za-z0-9_-]{43})`).exec(mail.text)![1];
const codeIn = (mail: ReceivedMail) => /([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(mail.text)![1];
async function signedIn(id: number) {
  const agent = request.agent(host.app);
  await agent.post('/test/login').send({ id }).expect(200);
  const csrf = (await agent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken as string;
  return { agent, csrf };
}
const events = (rows: AuditRecord[]) => rows.map((r) => [r.event, r.outcome, r.reason]).reverse();
const auditEvents = () => logs.filter((line) => typeof line.meta?.event === 'string');

describe('the audit trail, through every flow', () => {
  it('records send, failure, code, confirmation, limit, change and undo as rows and log events, masked and secret-free', async () => {
    const email = fresh('alice');
    const id = await host.createUser(email);
    let { agent, csrf } = await signedIn(id);

    // Sent (over HTTP, so the client IP is known), then a wrong code, then the link.
    await agent.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({}).expect(202);
    const verifyMail = await nthMail(email, 1);
    const code = codeIn(verifyMail);
    await agent.post('/verify/code').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ code: code[0] === 'A' ? `B${code.slice(1)}` : `A${code.slice(1)}` }).expect(400);
    const token = tokenIn(verifyMail, '/confirm');
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token }).expect(200);
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token }).expect(409);

    // The link, confirmed in another browser, signed this one out (pre-hijack defence): sign in again.
    ({ agent, csrf } = await signedIn(id));
    // A change: the wrong password first, then the right one, the new link, and the undo from the old address.
    const next = fresh('bob');
    await agent.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ email: next, password: 'wrong' }).expect(401);
    await agent.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ email: next, password: RIGHT_PASSWORD }).expect(202);
    const changeMail = await nthMail(next, 1);
    await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(changeMail, '/email/confirm') }).expect(200, { status: 'CHANGED' });
    const notice = await nthMail(email, 2);
    await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).send({ token: tokenIn(notice, '/email/undo') }).expect(200, { status: 'REVERTED' });

    // Limited: the per-user rule allows 2 sends an hour, and 2 were made (the first link and the change).
    expect((await host.vg.sendVerification({ id, email })).status).toBe('RATE_LIMITED');

    const rows = await host.vg.auditLog(id, { limit: 100 });
    expect(events(rows)).toEqual([
      ['verigate.verification.sent', 'sent', null],
      ['verigate.verification.failed', 'failed', 'CODE_INVALID'],
      ['verigate.verification.confirmed', 'verified', null],
      ['verigate.verification.failed', 'failed', 'TOKEN_USED'],
      ['verigate.verification.failed', 'failed', 'WRONG_PASSWORD'],
      ['verigate.verification.sent', 'sent', null],
      ['verigate.email.changed', 'changed', null],
      ['verigate.email.reverted', 'reverted', null],
      ['verigate.verification.limited', 'limited', 'sendsPerUser'],
    ]);
    const [local, domain] = email.split('@');
    const masked = `${local[0]}***@${domain}`;
    const byEvent = (event: string) => rows.filter((r) => r.event === event);
    expect(byEvent('verigate.verification.sent').map((r) => [r.email, r.detail.purpose])).toEqual([[`b***@example.com`, 'email_change'], [masked, 'verify']]);
    expect(byEvent('verigate.email.changed')[0]).toMatchObject({ email: 'b***@example.com', detail: { previousEmail: masked, method: 'link' } });
    expect(byEvent('verigate.email.reverted')[0]).toMatchObject({ email: masked, detail: { revertedEmail: 'b***@example.com' } });
    expect(byEvent('verigate.verification.failed').find((r) => r.reason === 'CODE_INVALID')!.detail).toEqual({ flow: 'verify', method: 'code', attemptsLeft: 4 });
    expect(byEvent('verigate.verification.limited')[0]).toMatchObject({ email: masked, detail: { retryAfterSeconds: expect.any(Number) } });
    for (const row of rows) {
      expect(row).toMatchObject({ userId: String(id), keyId: null, at: expect.any(Date) });
      expect(row.at.getTime()).toBeLessThanOrEqual(Date.now());
    }
    // The HTTP flows know the client (as a keyed hash: the same for one IP, never the IP itself).
    const hashes = new Set(rows.filter((r) => r.event !== 'verigate.verification.limited').map((r) => r.ipHash));
    expect([...hashes]).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/)]);
    expect(JSON.stringify(rows)).not.toMatch(/127\.0\.0\.1|::1/);

    // The logger saw the same events, as flat objects with a stable event field.
    const logged = auditEvents().filter((line) => line.meta!.userId === String(id));
    expect(logged.map((line) => line.meta!.event)).toEqual(rows.map((r) => r.event).reverse());
    for (const line of logged) {
      expect(line.level).toBe('info');
      expect(line.message).toBe(line.meta!.event);
      expect(Object.values(line.meta!).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))).toBe(true);
    }

    // Nothing secret anywhere: no token, code, link or full address in any row or log line.
    const secrets = [...[verifyMail, changeMail, notice].flatMap((m) => [...m.text.matchAll(/token=([A-Za-z0-9_-]{43})/g)].map((x) => x[1])),
      code, code.replace('-', ''), email, next, 'https://app.test/verify/'];
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    const everything = JSON.stringify({ rows, logs, stored: await services.db.orm.em.fork().execute('select * from verigate_audit') });
    for (const secret of secrets) expect([secret, everything.includes(secret)]).toEqual([secret, false]);
  });

  it('records failures of unknown links without a user', async () => {
    const junk = 'A'.repeat(43);
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token: junk }).expect(400);
    expect(auditEvents().filter((l) => l.meta!.reason === 'TOKEN_INVALID').at(-1)!.meta).toMatchObject({
      event: 'verigate.verification.failed', outcome: 'failed', flow: 'verify', method: 'link', ipHash: expect.any(String),
    });
    expect(auditEvents().at(-1)!.meta).not.toHaveProperty('userId');
    expect(JSON.stringify(logs)).not.toContain(junk);
  });

  it('pages back through a user’s rows with limit and before', async () => {
    const email = fresh('pager');
    const id = await host.createUser(email);
    // Sent, sent (superseding the first), limited: three rows.
    for (let i = 0; i < 3; i++) await host.vg.sendVerification({ id, email });
    const all = await host.vg.auditLog(id);
    expect(all.map((r) => r.event)).toEqual(['verigate.verification.limited', 'verigate.verification.sent', 'verigate.verification.sent']);
    const first = await host.vg.auditLog(id, { limit: 2 });
    const rest = await host.vg.auditLog(id, { limit: 2, before: first[1].at });
    expect([...first, ...rest].map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect(await host.vg.auditLog(id, { before: new Date(0) })).toEqual([]);
    await expect(host.vg.auditLog(id, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(host.vg.auditLog(id, { limit: 501 })).rejects.toThrow(RangeError);
    await expect(host.vg.auditLog(id, { before: new Date('nope') })).rejects.toThrow(TypeError);
    expect(await host.vg.auditLog({} as never)).toEqual([]);
  });

  it('purges rows older than audit.retention (90 days by default), and only those', async () => {
    const userId = `old-${randomUUID()}`;
    const insert = (daysAgo: number) => services.db.orm.em.fork().execute(
      `insert into verigate_audit (id, event, user_id, outcome, created_at) values (?, 'verigate.verification.sent', ?, 'sent', now() - ? * interval '1 day')`,
      [randomUUID(), userId, daysAgo]);
    await insert(91);
    await insert(89);
    const result = await host.vg.purge();
    expect(result.audit).toBeGreaterThanOrEqual(1);
    const left = await host.vg.auditLog(userId);
    expect(left).toHaveLength(1);
    expect(Date.now() - left[0].at.getTime()).toBeLessThan(90 * 86_400_000);
  });
});

describe('with the table off (the default)', () => {
  it('still logs every event, writes no row, and auditLog says how to turn the table on', async () => {
    const lines: Array<{ fields: Record<string, unknown>; message?: string }> = [];
    // Through the pino adapter: pino takes the fields first.
    const pinoLike = { info: (fields: object, message?: string) => { lines.push({ fields: fields as Record<string, unknown>, message }); }, warn() {}, error() {} };
    const off = await createUsersHost(services, { logger: pinoLogger(pinoLike) });
    try {
      const email = fresh('quiet');
      const id = await off.createUser(email);
      expect((await off.vg.sendVerification({ id, email })).status).toBe('SENT');
      expect(lines.find((l) => l.fields.event === 'verigate.verification.sent')).toEqual({
        message: 'verigate.verification.sent',
        fields: { event: 'verigate.verification.sent', userId: String(id), email: `q***@example.com`, outcome: 'sent', purpose: 'verify' },
      });
      expect(await services.db.orm.em.fork().execute('select 1 from verigate_audit where user_id = ?', [String(id)])).toHaveLength(0);
      await expect(off.vg.auditLog(id)).rejects.toMatchObject({ name: 'VerigateConfigError', code: 'VERIGATE_AUDIT_TABLE_OFF' });
      await expect(off.vg.auditLog(id)).rejects.toBeInstanceOf(VerigateConfigError);
    } finally {
      await off.vg.close();
    }
  });
});

describe('inside the host’s transaction', () => {
  it('writes the sent row with the host’s rows: rolled back with them, committed with them', async () => {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: services.db.url, max: 1 });
    try {
      const client = await pool.connect();
      const send = async (finish: 'commit' | 'rollback') => {
        const email = fresh(finish);
        const id = await host.createUser(email);
        await client.query('begin');
        expect((await host.vg.sendVerification({ id, email }, { client })).status).toBe('SENT');
        await client.query(finish);
        return (await host.vg.auditLog(id)).map((r) => r.event);
      };
      try {
        expect(await send('rollback')).toEqual([]);
        expect(await send('commit')).toEqual(['verigate.verification.sent']);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});
