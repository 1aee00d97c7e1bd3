import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import express from 'express';
import request from 'supertest';
import { emailVerification } from '../../plugin/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { newUser } from '../helpers/flow.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';

let db: TestDatabase;
let sink: SmtpSink;
const quiet = { info() {}, warn() {}, error() {} };

beforeAll(async () => { [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]); });
afterAll(async () => { await sink.stop(); await db.close(); });

const base = () => ({
  baseUrl: 'https://app.test/verify', secret: TEST_SECRET, em: db.orm.em, logger: quiet,
  mail: { from: 'App <no-reply@app.test>', transport: sink.url }, worker: { autoStart: false },
});

describe('emailVerification(options)', () => {
  it('works on a host ORM that does not register verigate\'s entities (it runs its own SQL)', async () => {
    const orm = await MikroORM.init({ clientUrl: db.url, entities: [], discovery: { warnWhenNoEntities: false } });
    const vg = emailVerification({ ...base(), em: orm.em });
    try {
      const user = { id: 7, email: `bare-${Date.now()}@example.com` };
      expect((await vg.sendVerification(user)).status).toBe('SENT');
      expect(await vg.isVerified(user)).toBe(false);
    } finally {
      await vg.close();
      await orm.close(true);
    }
  });

  it('refuses a disposable address at sign-up verification, and checkAddress gives hosts the same rules and a uniqueness key', async () => {
    const vg = emailVerification({ ...base(), addresses: { deny: ['blocked.test'] } });
    try {
      expect(await vg.sendVerification({ id: 'd1', email: 'temp@mailinator.com' })).toEqual({ status: 'INVALID_EMAIL', problem: 'DISPOSABLE' });
      expect(await vg.sendVerification({ id: 'd2', email: 'a@blocked.test' })).toEqual({ status: 'INVALID_EMAIL', problem: 'DOMAIN_NOT_ALLOWED' });
      expect(await vg.checkAddress(' Alice@Example.COM ')).toMatchObject({ ok: true, address: 'Alice@Example.COM', canonical: 'Alice@example.com', uniqueKey: 'alice@example.com' });
      expect(await vg.checkAddress('x@mailinator.com')).toMatchObject({ ok: false, problem: 'DISPOSABLE' });
    } finally {
      await vg.close();
    }
  });

  it('refuses misspelt address options at start-up', () => {
    expect(() => emailVerification({ ...base(), addresses: { dispossable: false } } as never)).toThrow(expect.objectContaining({ code: 'VERIGATE_UNKNOWN_OPTION' }));
    expect(() => emailVerification({ ...base(), addresses: { allow: ['not a domain'] } } as never)).toThrow(expect.objectContaining({ code: 'VERIGATE_INVALID_ADDRESSES' }));
  });

  it.each([
    [{ secret: 'short' }, 'VERIGATE_WEAK_SECRET'],
    [{ baseUrl: 'http://app.test/verify', environment: 'production' }, 'VERIGATE_INSECURE_BASE_URL'],
    [{ baseUrl: undefined }, 'VERIGATE_BASE_URL_REQUIRED'],
    [{ tokenTTL: '1h' }, 'VERIGATE_UNKNOWN_OPTION'],
  ])('throws a coded error for %j', (patch, code) => {
    expect(() => emailVerification({ ...base(), ...patch } as never)).toThrow(expect.objectContaining({ code }));
  });

  it('returns a frozen instance whose config holds no secret', async () => {
    const vg = emailVerification(base());
    try {
      expect(Object.isFrozen(vg)).toBe(true);
      expect(Object.isFrozen(vg.config)).toBe(true);
      const { em: _em, ...rest } = vg.config;
      expect(JSON.stringify(rest)).not.toContain(TEST_SECRET);
    } finally {
      await vg.close();
    }
  });

  it('writes the app name into the subject as text, not HTML, and states a short lifetime in minutes', async () => {
    const vg = emailVerification({ ...base(), appName: `Tom & Jerry's <Shop>`, tokenTtl: '15m' });
    try {
      const user = newUser();
      await vg.sendVerification(user);
      await vg.drain();
      const mail = await sink.waitFor((m) => m.to === user.email);
      expect(mail.subject).toBe(`Confirm your email address for Tom & Jerry's <Shop>`);
      expect(mail.text).toContain('expires in 15 minutes');
      expect(mail.html).toContain('Tom &amp; Jerry&#39;s &lt;Shop&gt;');
    } finally {
      await vg.close();
    }
  });

  it('appends returnTo to a loginPath that already has a query', async () => {
    const vg = emailVerification({ ...base(), loginPath: '/auth?provider=local', getUser: () => null });
    try {
      const app = express();
      app.get('/gated', vg.requireVerified, (req, res) => { res.send('open'); });
      await request(app).get('/gated').expect(302).expect('Location', '/auth?provider=local&returnTo=%2Fgated');
    } finally {
      await vg.close();
    }
  });

  it('lets two instances with different secrets coexist in one process without sharing state', async () => {
    const a = emailVerification({ ...base(), appName: 'App A' });
    const b = emailVerification({ ...base(), appName: 'App B', secret: `${TEST_SECRET}-other` });
    try {
      const user = newUser();
      expect((await a.sendVerification(user)).status).toBe('SENT');
      await a.drain();
      const mail = await sink.waitFor((m) => m.to === user.email);
      expect(mail.subject).toContain('App A');
      const token = new URL(/https:\/\/\S+/.exec(mail.text)![0]).searchParams.get('token')!;
      // B hashes with its own key, so A's token means nothing to it.
      expect(await b.confirm(token)).toEqual({ status: 'TOKEN_INVALID' });
      expect((await a.confirm(token)).status).toBe('VERIFIED');
      expect(await b.isVerified(user)).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
