import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { VerigateEvent } from '../../src/events/event-types.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { startSmtpSink, tokenFrom, type ReceivedMail } from '../helpers/smtp-sink.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let host: UsersHost;
let streamKey: string;

beforeAll(async () => {
  services = await startRealServices();
  streamKey = `${services.redis.prefix}events`;
  host = await createUsersHost(services, {
    audit: { table: true }, redis: services.redis.client, redisPrefix: `${services.redis.prefix}vg:`,
    events: { redisStream: { key: streamKey } },
  });
  host.app.use('/internal/verigate', host.vg.serviceRouter());
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;
const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
const sql = (text: string, params: unknown[] = []) => services.db.orm.em.fork().execute(text, params);

async function lastMailTo(email: string, count: number): Promise<ReceivedMail> {
  await host.vg.drain();
  await services.sink.waitFor(() => mailsTo(email).length >= count);
  return mailsTo(email).at(-1)!;
}

/** A verified account: a verification sent through the real outbox and SMTP, its link consumed. `id` may be no host user at all. */
async function verify(id: number, email: string): Promise<ReceivedMail> {
  const before = mailsTo(email).length;
  expect((await host.vg.sendVerification({ id, email })).status).toBe('SENT');
  const mail = await lastMailTo(email, before + 1);
  expect((await host.vg.confirm(tokenFrom(mail))).status).toBe('VERIFIED');
  return mail;
}

async function browser(id: number) {
  const agent = request.agent(host.app);
  await agent.post('/test/login').send({ id }).expect(200);
  return agent;
}

async function events(type: VerigateEvent['type']): Promise<VerigateEvent[]> {
  const entries = await services.redis.client.xrange(streamKey, '-', '+');
  return entries.map(([, flat]) => JSON.parse(flat[flat.indexOf('payload') + 1]) as VerigateEvent).filter((e) => e.type === type);
}

async function auditRows(id: number, event: string) {
  return (await host.vg.auditLog(id, { limit: 100 })).filter((row) => row.event === event);
}

describe('a hard bounce', () => {
  it('closes the gate for every user of the address (sessions that cached the pair included) and no further mail goes to it', async () => {
    const email = fresh('hard');
    const id = await host.createUser(email);
    await verify(id, email);
    // Another account (not in the host's table) proved the same mailbox.
    const otherId = randomInt(10_000_000, 20_000_000);
    await verify(otherId, email);
    const browsers = [await browser(id), await browser(id)];
    for (const b of browsers) await b.get('/dashboard').set(JSON_ACCEPT).expect(200); // the pair is now cached in both sessions
    // A mail queued before the bounce, not sent yet.
    expect((await host.vg.notifyExistingAccount(email)).status).toBe('QUEUED');
    const [queued] = await sql(`select id from verigate_outbox where channel = 'mail' and status = 'pending' and kind = 'account-exists' and recipient = ?`, [email]);
    const sentBefore = mailsTo(email).length;

    // Reported with another spelling of the domain: matched by canonical form.
    const result = await host.vg.reportBounce({ address: email.replace('@example.com', '@EXAMPLE.Com') },
      { kind: 'hard', reason: `550 5.1.1 <${email}>: Recipient address rejected: User unknown` });
    expect(result).toMatchObject({ status: 'SUPPRESSED', email, kind: 'hard', newlySuppressed: true, withdrawn: 2, sessionsEnded: 2 });
    expect(result.status === 'SUPPRESSED' && [...result.userIds].sort()).toEqual([String(id), String(otherId)].sort());

    // The sessions that had cached the verified pair were ended; signed in again, the gate is closed.
    for (const b of browsers) await b.get('/dashboard').set(JSON_ACCEPT).expect(401);
    const again = await browser(id);
    expect((await again.get('/dashboard').set(JSON_ACCEPT).expect(403)).body.error.code).toBe('EMAIL_NOT_VERIFIED');
    expect(await host.vg.isVerified({ id, email })).toBe(false);
    expect(await host.vg.isVerified({ id: otherId, email })).toBe(false);
    // The pending page asks for another address instead of offering a new link.
    const pending = await again.get('/verify/pending').set(JSON_ACCEPT).expect(200);
    expect(pending.body).toMatchObject({ status: 'PENDING', email, verified: false, linkSent: false, suppressed: true });
    const page = await again.get('/verify/pending').expect(200);
    expect(page.text).toContain('We could not deliver our emails to');
    expect(page.text).toContain('href="/verify/email"');
    expect(page.text).not.toContain('action="/verify/resend"');
    const csrf = pending.body.csrfToken as string;

    // Every way to send to it is refused: the host's call, resend (JSON and form), a change to it, anonymous resend.
    expect(await host.vg.sendVerification({ id, email })).toEqual({ status: 'ADDRESS_SUPPRESSED' });
    const resent = await again.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({}).expect(422);
    expect(resent.body.error).toMatchObject({ code: 'ADDRESS_SUPPRESSED', changeUrl: '/verify/email' });
    const resentForm = await again.post('/verify/resend').type('form').send({ _csrf: csrf }).expect(422);
    expect(resentForm.text).toContain('We could not deliver our emails to');

    const moverEmail = fresh('mover');
    const mover = await host.createUser(moverEmail);
    await verify(mover, moverEmail);
    expect((await host.vg.requestEmailChange({ id: mover, email: moverEmail }, { newEmail: email, password: RIGHT_PASSWORD })).status).toBe('ADDRESS_SUPPRESSED');
    const moving = await browser(mover);
    const form = await moving.get('/verify/email').set(JSON_ACCEPT).expect(200);
    const change = await moving.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', form.body.csrfToken).send({ email, password: RIGHT_PASSWORD }).expect(422);
    expect(change.body.error.code).toBe('ADDRESS_SUPPRESSED');
    const changeForm = await moving.post('/verify/email').type('form').send({ _csrf: form.body.csrfToken, email, password: RIGHT_PASSWORD }).expect(422);
    expect(changeForm.text).toContain('Our emails to this address could not be delivered. Please use another address.');

    // Another service asking through the service API.
    const created = await host.vg.apiKeys.create({ name: 'crm', scopes: ['send'] });
    const apiKey = created.status === 'CREATED' ? created.key : '';
    const viaApi = await request(host.app).post(`/internal/verigate/users/${id}/verification`).set('Authorization', `Bearer ${apiKey}`).send({ email }).expect(409);
    expect(viaApi.body.error.code).toBe('ADDRESS_SUPPRESSED');

    // Signed out: the same answer as for any address (no enumeration), and the send is refused behind it.
    const refusalsBefore = (await auditRows(id, 'verigate.verification.failed')).filter((r) => r.reason === 'ADDRESS_SUPPRESSED').length;
    const anonymous = request.agent(host.app);
    const anonymousPage = await anonymous.get('/verify/pending').expect(200);
    const anonymousCsrf = /name="_csrf" value="([^"]+)"/.exec(anonymousPage.text)![1];
    await anonymous.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', anonymousCsrf).send({ email }).expect(202, { status: 'ACCEPTED' });
    for (let i = 0; i < 100; i++) {
      if ((await auditRows(id, 'verigate.verification.failed')).filter((r) => r.reason === 'ADDRESS_SUPPRESSED').length > refusalsBefore) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await auditRows(id, 'verigate.verification.failed')).filter((r) => r.reason === 'ADDRESS_SUPPRESSED').length).toBe(refusalsBefore + 1);

    // The mail queued before the bounce is parked, scrubbed, never sent; nothing else reached the address.
    await host.vg.drain();
    const [parked] = await sql('select status, payload, recipient, last_error from verigate_outbox where id = ?', [queued.id]);
    expect(parked).toEqual({ status: 'suppressed', payload: null, recipient: `${email[0]}***@example.com`, last_error: 'ADDRESS_SUPPRESSED' });
    expect(mailsTo(email)).toHaveLength(sentBefore);
    expect(await sql(`select 1 from verigate_outbox where channel = 'mail' and recipient = ?`, [email])).toEqual([]);

    // Recorded: the suppression row, one event for the address, an audit row for each user it concerns.
    const [row] = await sql('select last_kind, reports, suppressed_kind, last_reason, suppressed_at is not null as suppressed from verigate_suppressed where email = ?', [email]);
    expect(row).toEqual({ last_kind: 'hard', reports: 1, suppressed_kind: 'hard', last_reason: '550 5.1.1 <[address]>: Recipient address rejected: User unknown', suppressed: true });
    const bounced = (await events('email.bounced')).filter((e) => e.type === 'email.bounced' && e.data.email === email);
    expect(bounced).toHaveLength(1);
    expect(bounced[0]).toMatchObject({ version: 1, data: { email, kind: 'hard', reason: '550 5.1.1 <[address]>: Recipient address rejected: User unknown' } });
    expect(bounced[0].type === 'email.bounced' && [...bounced[0].data.userIds].sort()).toEqual([String(id), String(otherId)].sort());
    const audited = await auditRows(id, 'verigate.email.bounced');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ userId: String(id), email: `${email[0]}***@example.com`, outcome: 'suppressed', reason: 'hard',
      detail: { kind: 'hard', via: 'address', newlySuppressed: true, verificationWithdrawn: true } });
    expect(await auditRows(otherId, 'verigate.email.bounced')).toHaveLength(1);
    expect(JSON.stringify(await sql('select * from verigate_audit'))).not.toContain(email);

    // A second hard bounce changes nothing more and says so.
    expect(await host.vg.reportBounce({ address: email }, { kind: 'hard' }))
      .toEqual({ status: 'SUPPRESSED', email, kind: 'hard', newlySuppressed: false, withdrawn: 0, userIds: [], sessionsEnded: 0 });
  });

  it('reported by the Message-ID of a sent mail finds its address (kept sealed on the sent row)', async () => {
    const email = fresh('by-id');
    const id = await host.createUser(email);
    const mail = await verify(id, email);
    const messageId = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(mail.raw)![1];
    const outboxId = /^<([0-9a-f-]{36})@app\.test>$/.exec(messageId)![1];
    const [row] = await sql('select status, recipient, recipient_sealed from verigate_outbox where id = ?', [outboxId]);
    expect(row).toMatchObject({ status: 'sent', recipient: `${email[0]}***@example.com`, recipient_sealed: expect.stringMatching(/^v1\./) });
    expect(row.recipient_sealed).not.toContain(email.split('@')[0]);

    expect(await host.vg.reportBounce({ messageId }, { kind: 'hard' })).toMatchObject({ status: 'SUPPRESSED', email, withdrawn: 1 });
    expect(await host.vg.isVerified({ id, email })).toBe(false);
    // The bare outbox id names the same mail; an id verigate never sent is unknown, junk is refused.
    expect(await host.vg.reportBounce({ messageId: outboxId }, { kind: 'hard' })).toMatchObject({ status: 'SUPPRESSED', email, newlySuppressed: false });
    expect(await host.vg.reportBounce({ messageId: `<${randomUUID()}@app.test>` }, { kind: 'hard' })).toEqual({ status: 'UNKNOWN_MESSAGE' });
    expect(await host.vg.reportBounce({ messageId: 'not-an-id' }, { kind: 'hard' })).toEqual({ status: 'INVALID_REPORT', problem: 'MESSAGE_ID' });
  });
});

describe('links open to a suppressed address', () => {
  it('are closed: a verify link and a change to it as the new address no longer work', async () => {
    const email = fresh('open-link');
    const id = await host.createUser(email);
    expect((await host.vg.sendVerification({ id, email })).status).toBe('SENT');
    const verifyMail = await lastMailTo(email, 1);
    const moverEmail = fresh('moving-to');
    const mover = await host.createUser(moverEmail);
    await verify(mover, moverEmail);
    const target = fresh('target');
    expect((await host.vg.requestEmailChange({ id: mover, email: moverEmail }, { newEmail: target, password: RIGHT_PASSWORD })).status).toBe('SENT');
    const changeMail = await lastMailTo(target, 1);
    const changeToken = /email\/confirm\?token=([A-Za-z0-9_-]{43})/.exec(changeMail.text)![1];

    expect(await host.vg.reportBounce({ address: email }, { kind: 'hard' })).toMatchObject({ status: 'SUPPRESSED', withdrawn: 0, userIds: [] });
    expect(await host.vg.reportBounce({ address: target }, { kind: 'complaint' })).toMatchObject({ status: 'SUPPRESSED', withdrawn: 0 });
    expect((await host.vg.confirm(tokenFrom(verifyMail))).status).toBe('TOKEN_SUPERSEDED');
    expect(await host.vg.isVerified({ id, email })).toBe(false);
    expect(await host.vg.pendingEmailChange({ id: mover, email: moverEmail })).toBeNull();
    await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: changeToken }).expect(410);
    expect(await host.emailOf(mover)).toBe(moverEmail);
    // The users it concerned see it in their audit log, though nothing was verified yet.
    expect(await auditRows(id, 'verigate.email.bounced')).toEqual([expect.objectContaining({ outcome: 'suppressed', detail: expect.objectContaining({ verificationWithdrawn: false }) })]);
  });
});

describe('a complaint', () => {
  it('closes the gate like a hard bounce, refuses sends, and is an email.complained event and an audit row', async () => {
    const email = fresh('complaint');
    const id = await host.createUser(email);
    const mail = await verify(id, email);
    const b = await browser(id);
    await b.get('/dashboard').set(JSON_ACCEPT).expect(200);
    const messageId = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(mail.raw)![1];

    const result = await host.vg.reportBounce({ messageId }, { kind: 'complaint', eventId: `fbl-${randomUUID()}` });
    expect(result).toEqual({ status: 'SUPPRESSED', email, kind: 'complaint', newlySuppressed: true, withdrawn: 1, userIds: [String(id)], sessionsEnded: 1 });
    await b.get('/dashboard').set(JSON_ACCEPT).expect(401);
    expect((await (await browser(id)).get('/dashboard').set(JSON_ACCEPT).expect(403)).body.error.code).toBe('EMAIL_NOT_VERIFIED');
    expect(await host.vg.sendVerification({ id, email })).toEqual({ status: 'ADDRESS_SUPPRESSED' });
    expect(await host.vg.notifyExistingAccount(email)).toEqual({ status: 'ADDRESS_SUPPRESSED' });

    await host.vg.drain();
    const complained = (await events('email.complained')).filter((e) => e.type === 'email.complained' && e.data.email === email);
    expect(complained.map((e) => e.data)).toEqual([{ email, reason: null, userIds: [String(id)] }]);
    expect(await auditRows(id, 'verigate.email.complained')).toEqual([expect.objectContaining({ outcome: 'suppressed', reason: 'complaint', detail: expect.objectContaining({ via: 'message' }) })]);
  });
});

describe('soft bounces', () => {
  it('under the threshold change nothing; at the threshold (3 by default) they suppress like a hard bounce', async () => {
    const email = fresh('soft');
    const id = await host.createUser(email);
    await verify(id, email);
    const b = await browser(id);
    await b.get('/dashboard').set(JSON_ACCEPT).expect(200);

    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft', reason: '452 4.2.2 Mailbox full' })).toEqual({ status: 'COUNTED', email, softBounces: 1, threshold: 3 });
    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft' })).toEqual({ status: 'COUNTED', email, softBounces: 2, threshold: 3 });
    // Nothing changed: the cached session, a fresh one (database check), sends.
    await b.get('/dashboard').set(JSON_ACCEPT).expect(200);
    await (await browser(id)).get('/dashboard').set(JSON_ACCEPT).expect(200);
    expect(await host.vg.isVerified({ id, email })).toBe(true);
    const before = mailsTo(email).length;
    expect((await host.vg.notifyExistingAccount(email)).status).toBe('QUEUED');
    await lastMailTo(email, before + 1);
    expect((await events('email.bounced')).filter((e) => e.type === 'email.bounced' && e.data.email === email)).toEqual([]);
    expect((await auditRows(id, 'verigate.email.bounced'))).toEqual([]);

    const third = await host.vg.reportBounce({ address: email }, { kind: 'soft' });
    expect(third).toEqual({ status: 'SUPPRESSED', email, kind: 'soft', newlySuppressed: true, withdrawn: 1, userIds: [String(id)], sessionsEnded: 2 });
    await b.get('/dashboard').set(JSON_ACCEPT).expect(401);
    expect(await host.vg.sendVerification({ id, email })).toEqual({ status: 'ADDRESS_SUPPRESSED' });
    await host.vg.drain();
    expect((await events('email.bounced')).filter((e) => e.type === 'email.bounced' && e.data.email === email).map((e) => e.data))
      .toEqual([{ email, kind: 'soft', reason: null, userIds: [String(id)] }]);
    const [row] = await sql('select reports, suppressed_kind, cardinality(soft_recent) as recent, last_reason from verigate_suppressed where email = ?', [email]);
    expect(row).toEqual({ reports: 3, suppressed_kind: 'soft', recent: 3, last_reason: '452 4.2.2 Mailbox full' });
  });

  it('count only within the window, and a redelivered report (same eventId) counts once', async () => {
    const email = fresh('old-soft');
    const eventId = `esp-${randomUUID()}`;
    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft', eventId })).toMatchObject({ status: 'COUNTED', softBounces: 1 });
    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft', eventId })).toEqual({ status: 'DUPLICATE' });
    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft' })).toMatchObject({ status: 'COUNTED', softBounces: 2 });
    // Eight days pass for the two recorded bounces: they no longer count.
    await sql(`update verigate_suppressed set soft_recent = array(select t - interval '8 days' from unnest(soft_recent) as t) where email = ?`, [email]);
    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft' })).toMatchObject({ status: 'COUNTED', softBounces: 1 });
    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft' })).toMatchObject({ status: 'COUNTED', softBounces: 2 });
    expect(await host.vg.reportBounce({ address: email }, { kind: 'soft' })).toMatchObject({ status: 'SUPPRESSED', newlySuppressed: true });
    const [row] = await sql('select reports from verigate_suppressed where email = ?', [email]);
    expect(row.reports).toBe(5);
  });
});

describe('lifting a suppression', () => {
  it('lets mail go to the address again; its user verifies anew', async () => {
    const email = fresh('lifted');
    const id = await host.createUser(email);
    await verify(id, email);
    await host.vg.reportBounce({ address: email }, { kind: 'hard' });
    expect(await host.vg.sendVerification({ id, email })).toEqual({ status: 'ADDRESS_SUPPRESSED' });
    expect(await host.vg.liftSuppression(email)).toEqual({ status: 'LIFTED', email });
    expect(await host.vg.liftSuppression(email)).toEqual({ status: 'NOT_SUPPRESSED' });
    expect(await host.vg.liftSuppression('not an address')).toEqual({ status: 'INVALID_ADDRESS' });
    await verify(id, email);
    expect(await host.vg.isVerified({ id, email })).toBe(true);
  });
});

describe('bad reports', () => {
  it('are typed refusals that change nothing', async () => {
    const email = fresh('bad');
    const cases: Array<[unknown, unknown, string]> = [
      [{}, { kind: 'hard' }, 'TARGET'], [{ address: email, messageId: randomUUID() }, { kind: 'hard' }, 'TARGET'], [null, { kind: 'hard' }, 'TARGET'],
      [{ address: 'no-at-sign' }, { kind: 'hard' }, 'ADDRESS'], [{ address: email }, { kind: 'bounced' }, 'KIND'], [{ address: email }, undefined, 'KIND'],
      [{ address: email }, { kind: 'hard', reason: 550 }, 'REASON'], [{ address: email }, { kind: 'hard', eventId: '' }, 'EVENT_ID'],
    ];
    for (const [target, report, problem] of cases) {
      expect(await host.vg.reportBounce(target as never, report as never)).toEqual({ status: 'INVALID_REPORT', problem });
    }
    expect(await sql('select 1 from verigate_suppressed where email = ?', [email])).toEqual([]);
  });
});

describe('a permanent refusal by the relay', () => {
  it('can be reported from onEmailDead by the outbox id: the dead mail keeps its address sealed', async () => {
    const rejecting = await startSmtpSink(0, { rejectRecipient: (address) => address.startsWith('gone-') });
    const reported: unknown[] = [];
    const relay: UsersHost = await createUsersHost(services, {
      mail: { from: 'Host <no-reply@app.test>', transport: rejecting.url },
      hooks: { onEmailDead: async ({ outboxId, error }) => { reported.push(await relay.vg.reportBounce({ messageId: outboxId }, { kind: 'hard', reason: error })); } },
    });
    try {
      await host.vg.drain();
      const email = `gone-${randomUUID().slice(0, 8)}@example.com`;
      const id = await relay.createUser(email);
      expect((await relay.vg.sendVerification({ id, email })).status).toBe('SENT');
      await relay.vg.drain();
      expect(reported).toEqual([expect.objectContaining({ status: 'SUPPRESSED', email, kind: 'hard', newlySuppressed: true })]);
      expect(await relay.vg.sendVerification({ id, email })).toEqual({ status: 'ADDRESS_SUPPRESSED' });
      const [row] = await sql('select last_reason from verigate_suppressed where email = ?', [email]);
      expect(row.last_reason).toMatch(/550/);
      expect(row.last_reason).not.toContain(email);
    } finally {
      await relay.vg.close();
      await rejecting.stop();
    }
  });
});
