import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { emailVerification, type EmailVerification } from '../../plugin/index.ts';
import { quietLogger } from '../helpers/core.ts';
import { mailedToken, newUser, signedIn } from '../helpers/flow.ts';
import { createHostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let proxy: TcpProxy;

beforeAll(async () => {
  services = await startRealServices();
  proxy = await startTcpProxy(Number(new URL(services.db.url).port || 5432));
});
afterAll(async () => {
  await proxy.close();
  await services.close();
});

/** verigate on its own pool, reaching the test database through the fault-injecting proxy. */
function viaProxy(extra: Record<string, unknown> = {}) {
  const url = new URL(services.db.url);
  url.host = `127.0.0.1:${proxy.port}`;
  return createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, {
    em: undefined, database: { url: url.href, connectTimeout: '500ms', statementTimeout: '1s' }, databaseTimeout: '1s', ...extra,
  } as never);
}

describe('verigate on its own database connection (database option)', () => {
  it('is synchronous to create, migrates by itself, and serves once ready', async () => {
    proxy.setMode('forward');
    const host = viaProxy();
    try {
      await host.vg.ready();
      const applied = await services.db.orm.em.fork().execute('select id from verigate_migrations order by id');
      expect(applied.map((r) => r.id)).toEqual(['0001-initial', '0002-one-open-token', '0003-session-index', '0004-events', '0005-service-api-audit', '0006-bounces']);
      const user = newUser();
      expect((await host.vg.sendVerification(user)).status).toBe('SENT');
    } finally {
      await host.vg.close();
    }
  });

  it('answers 503 with Retry-After within 2 s while the database is unreachable, and recovers by itself', async () => {
    proxy.setMode('refuse');
    const host = viaProxy();
    try {
      const browser = await signedIn(host.app, newUser());
      let started = Date.now();
      const down = await browser.get('/dashboard').set(JSON_ACCEPT).expect(503);
      expect(down.headers['retry-after']).toBe('5');
      expect(down.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(2000);
      // Fails closed for a sending route too, and nothing was written.
      started = Date.now();
      const page = await browser.get('/verify/pending').expect(503);
      expect(page.text).toContain('Temporarily unavailable');
      expect(Date.now() - started).toBeLessThan(2000);

      proxy.setMode('forward');
      await host.vg.ready();
      await browser.get('/dashboard').set(JSON_ACCEPT).expect(403);
    } finally {
      await host.vg.close();
    }
  });

  it('answers 503 within 2 s when the database accepts connections but never answers (black hole)', async () => {
    proxy.setMode('forward');
    const host = viaProxy();
    try {
      await host.vg.ready();
      const browser = await signedIn(host.app, newUser());
      proxy.setMode('blackhole');
      proxy.cutAll();
      const started = Date.now();
      await browser.get('/dashboard').set(JSON_ACCEPT).expect(503);
      expect(Date.now() - started).toBeLessThan(2000);
      proxy.setMode('forward');
    } finally {
      proxy.setMode('forward');
      await host.vg.close();
    }
  });

  it('starts against a black-holed database: returns at once, answers 503 + Retry-After within 2 s, keeps retrying, then works without a restart', async () => {
    proxy.setMode('blackhole');
    const url = new URL(services.db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    // The documented defaults: connectTimeout '2s', databaseTimeout '1500ms'.
    const created = Date.now();
    const host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, { em: undefined, database: url.href } as never);
    expect(Date.now() - created).toBeLessThan(1000);
    let settled: string | undefined;
    host.vg.ready().then(() => { settled = 'ready'; }, () => { settled = 'rejected'; });
    try {
      const user = newUser();
      const browser = await signedIn(host.app, user);
      const quick = async (answer: Promise<request.Response>) => {
        const started = Date.now();
        const res = await answer;
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(Date.now() - started).toBeLessThan(2000);
        return res;
      };
      // During the first connection attempt (the database accepts TCP and never answers) and after it failed.
      for (let round = 0; round < 2; round++) {
        expect((await quick(browser.get('/dashboard').set(JSON_ACCEPT))).body.error.code).toBe('SERVICE_UNAVAILABLE');
        expect((await quick(browser.get('/verify/pending'))).text).toContain('Temporarily unavailable');
        await quick(browser.post('/verify/resend').set(JSON_ACCEPT).send({}));
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      await expect(host.vg.sendVerification(user)).rejects.toMatchObject({ name: 'ServiceUnavailableError' });
      expect(settled).toBeUndefined(); // still waiting, neither given up nor pretending

      proxy.setMode('forward');
      // The next retry (at most 5 s apart, each attempt bounded by connectTimeout) connects and migrates.
      await Promise.race([host.vg.ready(), new Promise((_, reject) => setTimeout(() => reject(new Error('ready() did not resolve within 12 s of the database answering')), 12_000).unref())]);
      expect(settled).toBe('ready');
      await browser.get('/dashboard').set(JSON_ACCEPT).expect(403);
      const token = await mailedToken(host.vg, services.sink, user);
      await browser.post('/verify/confirm').set(JSON_ACCEPT).send({ token }).expect(200, { status: 'VERIFIED' });
      await browser.get('/dashboard').set(JSON_ACCEPT).expect(200);
    } finally {
      proxy.setMode('forward');
      await host.vg.close();
    }
  }, 30_000);

  it('closes its pool on close(), and ready() afterwards says so', async () => {
    proxy.setMode('forward');
    const host = viaProxy();
    await host.vg.ready();
    await host.vg.close();
    await host.vg.close();
    expect((await host.vg.sendVerification(newUser()).catch((e: Error) => e)) as Error).toMatchObject({ name: 'ServiceUnavailableError' });
  });
});

describe('joining the host\'s transaction', () => {
  let vg: EmailVerification;
  beforeAll(() => {
    vg = emailVerification({
      baseUrl: 'https://app.test/verify', secret: TEST_SECRET, em: services.db.orm.em, logger: quietLogger,
      mail: { from: 'a@app.test', transport: services.sink.url }, worker: { autoStart: false },
    });
  });
  afterAll(() => vg.close());

  const rows = async (userId: string) => (await services.db.orm.em.fork().execute(
    `select (select count(*)::int from verigate_token where user_id = ?) as tokens,
            (select count(*)::int from verigate_outbox where recipient like ?) as mails`, [userId, `%${userId.slice(0, 8)}%`]))[0];

  it('writes token and mail with the host\'s rows when it commits, and nothing when it rolls back (MikroORM em)', async () => {
    const kept = { id: `k${Date.now()}`, email: `k${Date.now()}@example.com` };
    await services.db.orm.em.fork().transactional(async (tx) => {
      expect((await vg.sendVerification(kept, { em: tx })).status).toBe('SENT');
    });
    expect((await rows(kept.id)).tokens).toBe(1);

    const lost = { id: `l${Date.now()}`, email: `l${Date.now()}@example.com` };
    await expect(services.db.orm.em.fork().transactional(async (tx) => {
      await vg.sendVerification(lost, { em: tx });
      throw new Error('host insert failed');
    })).rejects.toThrow('host insert failed');
    expect(await rows(lost.id)).toEqual({ tokens: 0, mails: 0 });
  });

  it('does the same with a pg client inside BEGIN', async () => {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: services.db.url, max: 1 });
    try {
      const user = { id: 555_000 + Math.floor(Math.random() * 1000), email: `pg${Date.now()}@example.com` };
      const client = await pool.connect();
      await client.query('begin');
      expect((await vg.sendVerification(user, { client })).status).toBe('SENT');
      await client.query('rollback');
      client.release();
      expect((await rows(String(user.id))).tokens).toBe(0);
    } finally {
      await pool.end();
    }
  });
});

it('fails fast with a clear error for a request when getUser returns an id it cannot store', async () => {
  const host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, { getUser: () => ({ id: { nested: true }, email: 'a@b.test' }) as never });
  try {
    const answer = await request(host.app).get('/dashboard').set(JSON_ACCEPT).expect(500);
    expect(answer.body.error.code).toBe('INVALID_USER');
  } finally {
    await host.vg.close();
  }
});
