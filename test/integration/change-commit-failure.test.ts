import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import session, { MemoryStore } from 'express-session';
import request from 'supertest';
import { emailVerification, type EmailVerification } from '../../plugin/index.ts';
import { fresh, JSON_ACCEPT } from '../helpers/change-flow.ts';
import { quietLogger } from '../helpers/core.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import type { ReceivedMail } from '../helpers/smtp-sink.ts';

/**
 * A host whose users live outside verigate's database (an SQLite file, another server): its
 * `setEmail` commits on its own, before verigate's transaction commits. Here verigate's COMMIT then
 * fails, for real: a deferred constraint trigger in PostgreSQL raises a serialization failure at
 * commit time for the addresses the test names.
 */
const PASSWORD = 'the password';
let services: RealServices;
let vg: EmailVerification;
let app: express.Express;
const emails = new Map<number, string>();
const events: Array<{ hook: string; event: unknown }> = [];
let nextId = 1;

beforeAll(async () => {
  services = await startRealServices();
  const record = (hook: string) => (event: unknown) => { events.push({ hook, event }); };
  vg = emailVerification({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, database: services.db.url, logger: quietLogger,
    mail: { from: 'a@app.test', transport: services.sink.url }, worker: { autoStart: false }, limits: false,
    getUser: (req) => {
      const id = (req.session as unknown as { userId?: number }).userId;
      return id === undefined ? null : { id, email: emails.get(id) ?? null };
    },
    users: {
      // Outside verigate's transaction, committed at once (a compare-and-set, as the README asks).
      setEmail: (id, email, { previousEmail }) => {
        const current = emails.get(Number(id)) ?? null;
        if (current !== previousEmail && current !== email) return false;
        emails.set(Number(id), email);
        return true;
      },
      verifyPassword: (id, password) => password === PASSWORD,
    },
    hooks: { onEmailChanged: record('onEmailChanged'), onEmailChangeReverted: record('onEmailChangeReverted') },
  });
  await vg.ready();
  await services.db.orm.em.fork().execute(`
    create table test_commit_fault (new_email text primary key);
    create function test_commit_fault() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from test_commit_fault where new_email = new.new_email) then
        raise exception 'commit refused by the test' using errcode = '40001';
      end if;
      return null;
    end $$;
    create constraint trigger test_commit_fault after update on verigate_token deferrable initially deferred
      for each row when (new.purpose = 'email_change' and new.used_at is not null and old.used_at is null)
      execute function test_commit_fault();`);
  app = express();
  app.use(session({ store: new MemoryStore(), secret: 's', resave: false, saveUninitialized: false }));
  app.post('/login', express.json(), (req, res) => { (req.session as unknown as { userId: number }).userId = req.body.id; res.json({}); });
  app.use('/verify', vg.router);
  app.get('/dashboard', vg.requireVerified, (req, res) => { res.json({ ok: true }); });
});
afterAll(async () => {
  await vg.close();
  await services.close();
});

const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
async function nthMail(to: string, n: number): Promise<ReceivedMail> {
  await vg.drain();
  await services.sink.waitFor(() => mailsTo(to).length >= n);
  return mailsTo(to)[n - 1];
}
const tokenIn = (mail: ReceivedMail, path: string) => new RegExp(`${path.replace(/\//g, '\\/')}\\?token=([A-Za-z0-9_-]{43})`).exec(mail.text)![1];
const execute = (sql: string, params: unknown[] = []) => services.db.orm.em.fork().execute(sql, params);

/** A verified user, signed in, who asked to move to a new address whose confirmation will fail to commit once. */
async function changeWhoseCommitFails() {
  const id = nextId++;
  const email = fresh('before');
  emails.set(id, email);
  await vg.sendVerification({ id, email });
  expect((await vg.confirm(tokenIn(await nthMail(email, 1), '/confirm'))).status).toBe('VERIFIED');
  const browser = request.agent(app);
  await browser.post('/login').send({ id }).expect(200);
  await browser.get('/dashboard').set(JSON_ACCEPT).expect(200);
  const target = fresh('after');
  const csrfToken = (await browser.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
  await browser.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', csrfToken).send({ email: target, password: PASSWORD }).expect(202);
  const confirm = tokenIn(await nthMail(target, 1), '/email/confirm');
  const undo = tokenIn(await nthMail(email, 2), '/email/undo');

  await execute('insert into test_commit_fault (new_email) values (?)', [target]);
  const failed = await request(app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: confirm });
  await execute('delete from test_commit_fault where new_email = ?', [target]);
  return { id, email, target, confirm, undo, browser, failed };
}

describe("the host's setEmail committed, then verigate's commit failed", () => {
  it('answers 503, leaves the link usable and the gate closed, and nothing is announced', async () => {
    const before = events.length;
    const { id, email, target, browser, failed } = await changeWhoseCommitFails();
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBeDefined();
    // The host switched; verigate recorded nothing: the token is open and the new pair unverified.
    expect(emails.get(id)).toBe(target);
    const [token] = await execute(`select used_at from verigate_token where user_id = ? and purpose = 'email_change'`, [String(id)]);
    expect(token.used_at).toBeNull();
    expect(await vg.isVerified({ id, email: target })).toBe(false);
    // Fail closed: the account's address is not verified in verigate, so the gate shuts.
    await browser.get('/dashboard').set(JSON_ACCEPT).expect(403);
    expect(events.length).toBe(before);
    expect(emails.get(id)).not.toBe(email);
  });

  it('pressing the link again completes the change: the compare-and-set sees the address already switched', async () => {
    const { id, target, confirm, browser } = await changeWhoseCommitFails();
    await request(app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: confirm }).expect(200, { status: 'CHANGED' });
    expect(emails.get(id)).toBe(target);
    expect(await vg.isVerified({ id, email: target })).toBe(true);
    expect(events.filter((e) => e.hook === 'onEmailChanged' && (e.event as { userId: unknown }).userId === id)).toHaveLength(1);
    // A browser not signed in confirmed it: the user's sessions end, as after any confirmed change.
    await browser.get('/dashboard').set(JSON_ACCEPT).expect(401);
  });

  it('the undo link sent to the previous address still restores it', async () => {
    const { id, email, target, confirm, undo } = await changeWhoseCommitFails();
    expect(emails.get(id)).toBe(target);
    await request(app).post('/verify/email/undo').set(JSON_ACCEPT).send({ token: undo }).expect(200, { status: 'REVERTED' });
    expect(emails.get(id)).toBe(email);
    expect((await request(app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: confirm }).expect(410)).body.error.code).toBe('TOKEN_SUPERSEDED');
    expect(emails.get(id)).toBe(email);
  });
});
