import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import type { TestRedis } from '../helpers/redis.ts';
import { REDIS_URL, TEST_SECRET } from '../helpers/services.ts';
import { linkFrom, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { resultUrl } from '../helpers/result-url.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let counter = 0;
const freshEmail = () => `person-${Date.now()}-${counter++}@example.com`;

const PASSWORD = 'correct horse battery';

/** Signs up (no session yet: the app answers every sign-up alike), then logs in as a person would. */
async function signUpAndLogIn(agent: ReturnType<typeof request.agent>, email: string) {
  await agent.post('/signup').set(JSON_ACCEPT).send({ email, password: PASSWORD }).expect(202, { status: 'CHECK_INBOX' });
  await agent.post('/login').set(JSON_ACCEPT).send({ email, password: PASSWORD }).expect(200);
}

/** Confirms through the pages as a person would: open the emailed link, press the button. */
async function confirmThroughPages(agent: ReturnType<typeof request.agent>, link: string) {
  const url = new URL(link);
  const page = await agent.get(`${url.pathname}${url.search}`).expect(200);
  expect(page.text).toContain('Confirm my email address');
  const token = url.searchParams.get('token')!;
  const done = await agent.post('/verify/confirm').type('form').send({ token }).expect(303);
  expect(done.headers.location).toMatch(resultUrl('verified'));
  const result = await agent.get(done.headers.location).expect(200);
  expect(result.text).toContain('Email address confirmed');
  return token;
}

describe('example app on real PostgreSQL, Redis and SMTP', () => {
  let services: RealServices;
  let db: TestDatabase;
  let redis: TestRedis;
  let sink: SmtpSink;
  let example: ExampleApp;
  const env = () => ({
    NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: `${redis.prefix}sess:`,
    VERIGATE_SECRET: TEST_SECRET, SESSION_SECRET: TEST_SECRET, BASE_URL: 'http://localhost:3000',
  });

  beforeAll(async () => {
    services = await startRealServices();
    ({ db, redis, sink } = services);
    example = await createExampleApp({ ...env(), SMTP_URL: sink.url });
  });
  afterAll(async () => {
    await example.close();
    await services.close();
  });

  it('runs on the real services', () => {
    expect(example.mode).toEqual({ database: 'postgresql', sessions: 'redis', mail: 'smtp' });
    expect(example.mailbox).toBeNull();
  });

  it('sign-up → email over SMTP → GET confirm leaves the token unused → POST confirm → dashboard', async () => {
    const email = freshEmail();
    const agent = request.agent(example.app);
    await signUpAndLogIn(agent, email);
    const [user] = await db.orm.em.fork().execute('select id from example_user where email = ?', [email]);
    await agent.get('/dashboard').expect(302).expect('Location', '/verify/pending?returnTo=%2Fdashboard');

    const mail = await sink.waitFor((m) => m.to === email);
    const link = linkFrom(mail);
    expect(link.startsWith('http://localhost:3000/verify/confirm?token=')).toBe(true);

    const url = new URL(link);
    await agent.get(`${url.pathname}${url.search}`).expect(200);
    const [row] = await db.orm.em.fork().execute('select used_at from verigate_token where user_id = ?', [user.id]);
    expect(row.used_at).toBeNull();

    await confirmThroughPages(agent, link);
    const dashboard = await agent.get('/dashboard').expect(200);
    expect(dashboard.text).toContain(email);
  });

  it('signs up through the HTML form and shows verigate\'s pending page inside the app\'s layout', async () => {
    const email = freshEmail();
    const agent = request.agent(example.app);
    await agent.post('/signup').type('form').send({ email, password: PASSWORD }).expect(303).expect('Location', '/signup/sent');
    expect((await agent.get('/signup/sent').expect(200)).text).toContain('Check your inbox');
    await agent.post('/login').type('form').send({ email, password: PASSWORD }).expect(303);
    const pending = await agent.get('/verify/pending').expect(200);
    expect(pending.text).toContain('Check your inbox');
    expect(pending.text).toContain(email);
    expect(pending.text).toContain('Example App');
  });

  it('answers bad sign-up and login input with 4xx and a message, never a 500', async () => {
    const taken = freshEmail();
    await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email: taken, password: PASSWORD }).expect(202);
    const cases: Array<[object | string, number, string]> = [
      [{ email: 'not-an-email', password: PASSWORD }, 422, 'INVALID_EMAIL'],
      [{ email: 'x@example.com\r\nBcc: y@evil.test', password: PASSWORD }, 422, 'INVALID_EMAIL'],
      [{ email: 'someone@mailinator.com', password: PASSWORD }, 422, 'INVALID_EMAIL'],
      [{ email: freshEmail(), password: 'short' }, 422, 'WEAK_PASSWORD'],
    ];
    for (const [body, status, code] of cases) {
      const res = await request(example.app).post('/signup').set(JSON_ACCEPT).send(body).expect(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toEqual(expect.any(String));
    }
    await request(example.app).post('/signup').set(JSON_ACCEPT).set('Content-Type', 'application/json').send('{"email":').expect(400);
    const wrong = await request(example.app).post('/login').set(JSON_ACCEPT).send({ email: taken, password: 'wrong password!' }).expect(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    await request(example.app).post('/login').set(JSON_ACCEPT).send({ email: taken, password: 'correct horse battery' }).expect(200);
  });

  it('answers a sign-up with a taken address exactly like a new one, and tells the owner by mail', async () => {
    const owner = freshEmail();
    await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email: owner, password: PASSWORD }).expect(202);
    const fresh = freshEmail();
    const answers = [];
    for (const email of [fresh, owner, owner.replace(/^person/, 'PERSON')]) {
      const json = await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email, password: PASSWORD });
      const html = await request(example.app).post('/signup').type('form').send({ email, password: PASSWORD });
      answers.push({ json: [json.status, json.text, json.headers['set-cookie']], html: [html.status, html.headers.location, html.headers['set-cookie']] });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    // Alice@ and alice@ are one account (the uniqueness key), and its owner hears of each attempt.
    expect(await db.orm.em.fork().execute('select 1 from example_user where lower(email) = lower(?)', [owner])).toHaveLength(1);
    const notice = await sink.waitFor((m) => m.to.toLowerCase() === owner.toLowerCase() && m.subject.includes('tried to sign up'));
    expect(notice.text).toContain('http://localhost:3000/login');
    expect(notice.text).not.toMatch(/token=/);
  });

  it('keeps one account when two spellings of an address sign up at the same time', async () => {
    const local = `race${Date.now()}`;
    const spellings = Array.from({ length: 10 }, (_, i) => (i % 2 ? `${local}@example.com` : `${local.toUpperCase()}@Example.com`));
    const answers = await Promise.all(spellings.map((email) => request(example.app).post('/signup').set(JSON_ACCEPT).send({ email, password: PASSWORD })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(await db.orm.em.fork().execute('select 1 from example_user where lower(email) = ?', [`${local}@example.com`])).toHaveLength(1);
  });

  it('changes the address from the settings page: password, link to the new address, notice to the old, dashboard shows it', async () => {
    const email = freshEmail();
    const agent = request.agent(example.app);
    await signUpAndLogIn(agent, email);
    await confirmThroughPages(agent, linkFrom(await sink.waitFor((m) => m.to === email)));
    const settings = await agent.get('/settings').expect(200);
    expect(settings.text).toContain('confirmed');
    expect(settings.text).toContain('href="/verify/email"');

    const next = freshEmail();
    const form = await agent.get('/verify/email').expect(200);
    expect(form.text).toContain('Current password');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    await agent.post('/verify/email').type('form').send({ email: next, password: 'correct horse battery', _csrf: csrf }).expect(303);
    expect((await agent.get('/dashboard').set(JSON_ACCEPT).expect(200)).body).toMatchObject({ user: { email }, pendingEmail: next });
    const notice = await sink.waitFor((m) => m.to === email && m.subject.includes('being changed'));
    expect(notice.text).toMatch(/\/verify\/email\/undo\?token=/);

    const link = new URL(/https?:\/\/\S+\/verify\/email\/confirm\?token=[A-Za-z0-9_-]+/.exec((await sink.waitFor((m) => m.to === next)).text)![0]);
    await agent.get(`${link.pathname}${link.search}`).expect(200);
    await agent.post('/verify/email/confirm').type('form').send({ token: link.searchParams.get('token') }).expect(303)
      .expect('Location', resultUrl('email-changed'));
    expect((await agent.get('/dashboard').set(JSON_ACCEPT).expect(200)).body).toMatchObject({ user: { email: next }, pendingEmail: null });
  });

  it('leaves nothing behind when the sign-up transaction fails, so the same sign-up can be retried', async () => {
    const email = freshEmail();
    // Make verigate's statement fail inside the sign-up transaction: the user row must roll back with it.
    await db.orm.em.fork().execute('alter table verigate_outbox add constraint block_test check (recipient <> ?)', [email]);
    try {
      await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email, password: PASSWORD }).expect(500);
      expect(await db.orm.em.fork().execute('select 1 from example_user where email = ?', [email])).toHaveLength(0);
      expect(await db.orm.em.fork().execute('select 1 from verigate_token t where t.email = ?', [email])).toHaveLength(0);
    } finally {
      await db.orm.em.fork().execute('alter table verigate_outbox drop constraint block_test');
    }
    await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email, password: PASSWORD }).expect(202);
    expect(await db.orm.em.fork().execute('select 1 from example_user where email = ?', [email])).toHaveLength(1);
  });

  it('accepts the sign-up while SMTP is down and delivers the email once SMTP is back', async () => {
    const probe = await startSmtpSink();
    const port = probe.port;
    await probe.stop();
    // A database of its own: another instance on the same database (the main app, whose SMTP works)
    // would be woken by the queued row and deliver it, as it should in production.
    const ownDb = await createTestDatabase();
    const db = ownDb;
    const offline = await createExampleApp({ ...env(), DATABASE_URL: ownDb.url, SMTP_URL: `smtp://127.0.0.1:${port}` });
    try {
      const email = freshEmail();
      const agent = request.agent(offline.app);
      await signUpAndLogIn(agent, email);
      await offline.vg.drain();
      const [queued] = await db.orm.em.fork().execute('select status, attempts, last_error from verigate_outbox where recipient = ?', [email]);
      expect(queued.status).toBe('pending');
      expect(queued.attempts).toBeGreaterThanOrEqual(1);
      expect(queued.last_error).toMatch(/ECONNREFUSED|connect/i);

      const back = await startSmtpSink(port);
      try {
        // Stand in for the backoff delay passing, rather than sleeping through it. A second in the
        // past, so the database's microseconds never race the worker's millisecond clock.
        await db.orm.em.fork().execute(`update verigate_outbox set next_attempt_at = now() - interval '1 second' where recipient = ?`, [email]);
        await offline.vg.drain();
        const mail = await back.waitFor((m) => m.to === email).catch(async (error: Error) => {
          const rows = await db.orm.em.fork().execute('select status, attempts, next_attempt_at, last_error from verigate_outbox where recipient = ?', [email]);
          throw new Error(`${error.message}; outbox: ${JSON.stringify(rows)}`);
        });
        await confirmThroughPages(agent, linkFrom(mail));
        await agent.get('/dashboard').expect(200);
        expect((await agent.get('/dashboard').set(JSON_ACCEPT).expect(200)).body.user.email).toBe(email);
      } finally {
        await back.stop();
      }
    } finally {
      await offline.close();
      await ownDb.close();
    }
  });
});

describe('example app on the embedded default (no environment)', () => {
  let example: ExampleApp;

  beforeAll(async () => { example = await createExampleApp({ NODE_ENV: 'test' }); });
  afterAll(async () => { await example.close(); });

  it('needs no services: PGlite, in-memory sessions and the dev mailbox', () => {
    expect(example.mode).toEqual({ database: 'pglite', sessions: 'memory', mail: 'dev-mailbox' });
  });

  it('lets a person sign up, open /dev/mail, follow the link, confirm, and reach /dashboard', async () => {
    const email = freshEmail();
    const agent = request.agent(example.app);
    await agent.post('/signup').type('form').send({ email, password: PASSWORD }).expect(303);
    await agent.post('/login').type('form').send({ email, password: PASSWORD }).expect(303);
    await example.vg.drain();
    // verigate's pending page, in the app's layout, shows who is signed in and where the mail went.
    const pending = await agent.get('/verify/pending').expect(200);
    expect(pending.text).toContain(`Signed in as`);
    expect(pending.text).toContain('href="/dev/mail"');

    const inbox = await agent.get('/dev/mail').set(JSON_ACCEPT).expect(200);
    const message = inbox.body.find((m: { to: string }) => m.to === email);
    expect(message).toMatchObject({ to: email, subject: 'Confirm your email address for Example App', sentAt: expect.any(String) });
    const page = await agent.get('/dev/mail').expect(200);
    expect(page.text).toContain(email);
    expect(page.text).toContain('href="http://localhost:3000/verify/confirm?token=');

    const link = /http:\/\/localhost:3000\/verify\/confirm\?token=[A-Za-z0-9_-]+/.exec(message.text)![0];
    await confirmThroughPages(agent, link);
    const dashboard = await agent.get('/dashboard').expect(200);
    expect(dashboard.text).toContain(email);
  });

  it('lists mail newest first', async () => {
    const first = freshEmail();
    const second = freshEmail();
    await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email: first, password: PASSWORD }).expect(202);
    await example.vg.drain();
    await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email: second, password: PASSWORD }).expect(202);
    await example.vg.drain();
    const inbox = await request(example.app).get('/dev/mail').set(JSON_ACCEPT).expect(200);
    const order = inbox.body.map((m: { to: string }) => m.to).filter((to: string) => to === first || to === second);
    expect(order).toEqual([second, first]);
  });
});
