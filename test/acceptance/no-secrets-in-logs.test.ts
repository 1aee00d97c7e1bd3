import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import { solveChallenge } from 'altcha-lib/v1';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { createLogging } from '../../example-app/logging.ts';
import { verigateEntities } from '../../src/entities/index.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { REDIS_URL, TEST_SECRET } from '../helpers/services.ts';
import type { ReceivedMail } from '../helpers/smtp-sink.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';
import { resultUrl } from '../helpers/result-url.ts';

/**
 * Every flow, with every log at its most verbose (verigate's logger at info, the example app's
 * access log, each SQL statement with its parameters), then a search of everything logged and
 * everything stored (every table row but the sealed outbox payload, every Redis key of this file)
 * for any token, code or link that was mailed. Only the mails themselves may hold them.
 */

const PASSWORD = 'correct horse battery';
const JSON_ACCEPT = { Accept: 'application/json' };
type Agent = ReturnType<typeof request.agent>;

let services: RealServices;
let example: ExampleApp;
let usersHost: UsersHost;
let debugOrm: MikroORM;
const logged: string[] = [];
const write = (line: string) => { logged.push(line); };
const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

beforeAll(async () => {
  services = await startRealServices();
  const { db, redis, sink } = services;
  example = await createExampleApp({
    NODE_ENV: 'test', LOG_LEVEL: 'debug', DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: `${redis.prefix}sess:`, SMTP_URL: sink.url,
    VERIGATE_SECRET: TEST_SECRET, SESSION_SECRET: TEST_SECRET, BASE_URL: 'http://localhost:3000',
  }, { logWriter: write });
  // A second host for the one flow the example app cannot show (an account without an address):
  // verigate on an ORM of its own with the same query log, and the same capturing logger.
  const logging = createLogging('debug', write);
  debugOrm = await MikroORM.init({ clientUrl: db.url, entities: [...verigateEntities], ...logging.orm });
  usersHost = await createUsersHost(services, { em: debugOrm.em, database: undefined, logger: logging.logger });
});
afterAll(async () => {
  await usersHost?.vg.close();
  await debugOrm?.close(true);
  await example?.close();
  await services?.close();
});

/** Everything secret that was mailed: tokens, links and codes (as printed, and as typed without the dash). */
function secretsIn(mails: readonly ReceivedMail[]): string[] {
  const found = new Set<string>();
  for (const mail of mails) {
    for (const body of [mail.text, mail.html]) {
      for (const m of body.matchAll(/https?:\/\/[^\s"<>]+\?token=([A-Za-z0-9_-]{43})/g)) found.add(m[0]).add(m[1]);
      for (const m of body.matchAll(/\b([2-9A-HJKMNP-Z]{4})-([2-9A-HJKMNP-Z]{4})\b/g)) found.add(m[0]).add(`${m[1]}${m[2]}`);
    }
  }
  return [...found];
}

async function mailsTo(to: string, count: number, drain: () => Promise<number> = () => example.vg.drain()): Promise<ReceivedMail[]> {
  await drain();
  await services.sink.waitFor(() => services.sink.messages.filter((m) => m.to === to).length >= count);
  return services.sink.messages.filter((m) => m.to === to);
}
const tokenIn = (mail: ReceivedMail, path: string) => new RegExp(`${path}\\?token=([A-Za-z0-9_-]{43})`).exec(mail.text)![1];
const codeIn = (mail: ReceivedMail) => /\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b/.exec(mail.text)![0];
const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

async function signUp(email: string): Promise<void> {
  await request(example.app).post('/signup').type('form').send({ email, password: PASSWORD }).expect(303);
}
async function logIn(email: string): Promise<Agent> {
  const agent = request.agent(example.app);
  await agent.post('/login').type('form').send({ email, password: PASSWORD }).expect(303);
  return agent;
}
/** As a person would: open the mailed link, press the button. */
async function follow(agent: Agent, mail: ReceivedMail, path: string, expected: string): Promise<void> {
  const token = tokenIn(mail, path);
  const page = await agent.get(`/verify${path}?token=${token}`).expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  const done = await agent.post(`/verify${path}`).type('form').send({ token, ...(csrf ? { _csrf: csrf } : {}) }).expect(303);
  expect(done.headers.location).toMatch(resultUrl(expected));
  await agent.get(done.headers.location).expect(200);
}

async function solvedChallenge(html: string): Promise<string> {
  const challenge = JSON.parse(/data-verigate-pow="([^"]+)"/.exec(html)![1].replace(/&#34;|&quot;/g, '"').replace(/&amp;/g, '&'));
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  return Buffer.from(JSON.stringify({ algorithm: challenge.algorithm, challenge: challenge.challenge, number: solution!.number, salt: challenge.salt, signature: challenge.signature })).toString('base64');
}

/** Every row of every table in the test database, the sealed outbox payload left out. */
async function storedRows(): Promise<string> {
  const em = services.db.orm.em.fork();
  const tables = await em.execute<Array<{ table_name: string }>>(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const dumps: string[] = [];
  for (const { table_name: table } of tables) {
    const rows = await em.execute(`select * from "${table}"`);
    dumps.push(JSON.stringify({ table, rows: rows.map(({ payload: _sealed, ...row }: Record<string, unknown>) => row) }));
  }
  expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['verigate_token', 'verigate_outbox', 'verigate_verified_email', 'example_user', 'host_user']));
  return dumps.join('\n');
}

/** Every Redis key of this file (sessions, limits, the session index) with its value. */
async function storedInRedis(): Promise<string> {
  const { client, prefix } = services.redis;
  const keys = await client.keys(`${prefix}*`);
  const dumps: string[] = [];
  for (const key of keys) {
    const type = await client.type(key);
    const value = type === 'string' ? await client.get(key) : type === 'hash' ? await client.hgetall(key)
      : type === 'zset' ? await client.zrange(key, '0', '-1', 'WITHSCORES') : type === 'set' ? await client.smembers(key)
        : type === 'list' ? await client.lrange(key, 0, -1) : `(${type})`;
    dumps.push(`${key} ${JSON.stringify(value)}`);
  }
  expect(keys.some((key) => key.includes('sess:'))).toBe(true);
  return dumps.join('\n');
}

describe('no token, code or link outside the mail itself', () => {
  it('runs every flow with the most verbose logging, then finds none in any log, table row or Redis key', async () => {
    // 1. Sign-up, verified by the link.
    const byLink = fresh('link');
    await signUp(byLink);
    await follow(await logIn(byLink), (await mailsTo(byLink, 1))[0], '/confirm', 'verified');

    // 2. Sign-up, verified by the code, typed on the pending page.
    const byCode = fresh('code');
    await signUp(byCode);
    const codeAgent = await logIn(byCode);
    const pending = await codeAgent.get('/verify/pending').expect(200);
    await codeAgent.post('/verify/code').type('form').send({ code: codeIn((await mailsTo(byCode, 1))[0]), _csrf: csrfIn(pending.text) })
      .expect(303).expect('Location', resultUrl('verified'));

    // 3. Resend while signed in, then the newest link.
    const resent = fresh('resend');
    await signUp(resent);
    const resendAgent = await logIn(resent);
    const page = await resendAgent.get('/verify/pending').expect(200);
    await resendAgent.post('/verify/resend').type('form').send({ _csrf: csrfIn(page.text) }).expect(303);
    await follow(resendAgent, (await mailsTo(resent, 2))[1], '/confirm', 'verified');

    // 4. "Send me a new link" without signing in (bot challenge solved), then that link in a fresh browser.
    const anonymous = fresh('anon');
    await signUp(anonymous);
    await mailsTo(anonymous, 1);
    const stranger = request.agent(example.app);
    const form = await stranger.get('/verify/resend').expect(200);
    await stranger.post('/verify/resend').type('form')
      .send({ email: anonymous, _csrf: csrfIn(form.text), challenge: await solvedChallenge(form.text) }).expect(303);
    await follow(request.agent(example.app), (await mailsTo(anonymous, 2))[1], '/confirm', 'verified');

    // 5. Change the address (password asked), confirm it by the link, then undo it from the old inbox.
    const changeAgent = await logIn(byLink);
    const changed = fresh('changed');
    const csrf = (await changeAgent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    await changeAgent.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ email: changed, password: PASSWORD }).expect(202);
    await follow(changeAgent, (await mailsTo(changed, 1))[0], '/email/confirm', 'email-changed');
    const notice = (await mailsTo(byLink, 2))[1];
    await follow(request.agent(example.app), notice, '/email/undo', 'change-undone');

    // 6. Change confirmed by the code from the new inbox.
    const codeChange = fresh('codechange');
    const csrf2 = (await codeAgent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    await codeAgent.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', csrf2).send({ email: codeChange, password: PASSWORD }).expect(202);
    const pending2 = await codeAgent.get('/verify/pending').expect(200);
    await codeAgent.post('/verify/code').type('form')
      .send({ code: codeIn((await mailsTo(codeChange, 1))[0]), for: 'change', _csrf: csrfIn(pending2.text) })
      .expect(303).expect('Location', resultUrl('email-changed'));

    // 7. Adding a first address to an account without one (the second host), confirmed by the link.
    const id = await usersHost.createUser(null);
    const adder = request.agent(usersHost.app);
    await adder.post('/test/login').send({ id }).expect(200);
    const added = fresh('added');
    const addCsrf = (await adder.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    await adder.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', addCsrf).send({ email: added, password: RIGHT_PASSWORD }).expect(202);
    await follow(adder, (await mailsTo(added, 1, () => usersHost.vg.drain()))[0], '/email/confirm', 'email-changed');
    expect(await usersHost.emailOf(id)).toBe(added);

    // The mails carried secrets, and the logs are really the verbose ones.
    await example.vg.drain();
    const secrets = secretsIn(services.sink.messages);
    expect(secrets.filter((s) => s.length === 43).length).toBeGreaterThanOrEqual(10);
    expect(secrets.filter((s) => /^[2-9A-HJKMNP-Z]{4}-/.test(s)).length).toBeGreaterThanOrEqual(8);
    const log = logged.join('');
    const everything = [log, await storedRows(), await storedInRedis()].join('\n');
    expect(secrets.filter((secret) => everything.includes(secret))).toEqual([]);

    // And the search looked at the verbose logs: requests with their (masked) URLs, statements with their parameters.
    expect(log).toMatch(/"GET \/verify\/confirm\?token=\[redacted\] HTTP\/1\.1" 200/);
    expect(log).toMatch(/"GET \/verify\/email\/undo\?token=\[redacted\] HTTP\/1\.1" 200/);
    expect(log).toMatch(/verigate_token.* -- params \[/);
    expect(log).toMatch(/verigate_outbox.* -- params \[/);
    expect(log).toMatch(/insert into "example_user"/);
  }, 120_000);
});
