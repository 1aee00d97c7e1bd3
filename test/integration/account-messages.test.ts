import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { open } from '../../src/crypto/seal.ts';
import type { EmailRenderer, EmailTemplateData, RenderedEmail } from '../../src/ports/mail.ts';
import { createTestCore } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { TEST_SECRET } from '../helpers/services.ts';

// The core's messages that are not a plain "verify your address": the anonymous resend, the notice
// to the owner of an address someone signed up with, and revoking a verification.
let db: TestDatabase;
const keys = deriveKeys(TEST_SECRET);
const rendered: Array<{ kind: string; data: EmailTemplateData }> = [];
const renderer: EmailRenderer = {
  async render(kind, data) {
    rendered.push({ kind, data });
    return { subject: `subject of ${kind}`, html: `<p>${kind}</p>`, text: data.link ?? data.loginUrl ?? '' };
  },
};
const cores: Array<{ close(): Promise<void> }> = [];
// The host's accounts, as users.findByEmail sees them.
const accounts = new Map<string, { id: string; email: string | null }>();

function core(overrides: Record<string, unknown> = {}) {
  const c = createTestCore(db, renderer, {
    users: { findByEmail: async (email: string) => accounts.get(email) ?? null },
    ...overrides,
  } as never);
  cores.push(c);
  return c;
}
function account(email: string | null = `waiting.${randomUUID().slice(0, 8)}@example.com`) {
  const user = { id: randomUUID(), email };
  if (email) accounts.set(email, user);
  return user;
}
const pending = (to: string) => db.orm.em.fork().execute<Array<{ kind: string; payload: string }>>(
  `select kind, payload from verigate_outbox where recipient = ? and status = 'pending'`, [to]);

beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => {
  for (const c of cores) await c.close();
  await db.close();
});

describe('anonymous resend', () => {
  it('sends a link to an unverified account only', async () => {
    const c = core();
    const waiting = account();
    const done = account();
    await c.verification.issue(done);
    await c.verification.confirm(new URL(rendered.at(-1)!.data.link!).searchParams.get('token'));
    expect(c.anonymous.enabled()).toBe(true);
    expect(await c.anonymous.send(waiting.email)).toBe('SENT');
    expect((await pending(waiting.email!)).map((m) => m.kind)).toEqual(['verify']);
    expect(await c.anonymous.send(done.email)).toBe('ALREADY_VERIFIED');
    expect(await c.anonymous.send(`nobody.${randomUUID().slice(0, 8)}@example.com`)).toBe('UNKNOWN_ADDRESS');
    expect(await c.anonymous.send('not an address')).toBe('UNKNOWN_ADDRESS');
    // An account the host knows by that address, but which holds none now.
    const emptied = `emptied.${randomUUID().slice(0, 8)}@example.com`;
    accounts.set(emptied, { id: randomUUID(), email: null });
    expect(await c.anonymous.send(emptied)).toBe('UNKNOWN_ADDRESS');
  });

  it('looks the address up by its canonical form, and mails the address as the host stored it', async () => {
    const c = core();
    const stored = `Mixed.${randomUUID().slice(0, 8)}@example.com`;
    accounts.set(stored, { id: randomUUID(), email: stored });
    expect(await c.anonymous.send(`  ${stored.replace('example.com', 'EXAMPLE.COM')} `)).toBe('SENT');
    expect(await pending(stored)).toHaveLength(1);
  });

  it('sends nothing when the user has had their sends', async () => {
    const c = core({ limits: { sendsPerUser: '1/1h', sendsPerRecipient: false, sendsPerIp: false } });
    const waiting = account();
    expect(await c.anonymous.send(waiting.email)).toBe('SENT');
    expect(await c.anonymous.send(waiting.email)).toBe('NOT_SENT');
    expect(await pending(waiting.email!)).toHaveLength(1);
  });

  it('is off without users.findByEmail', async () => {
    const c = createTestCore(db, renderer);
    cores.push(c);
    expect(c.anonymous.enabled()).toBe(false);
    expect(await c.anonymous.send(account().email)).toBe('NOT_SENT');
  });

  it('admits every address, known or not, against the same limits: per address as typed and per IP', async () => {
    const c = core({ limits: { sendsPerRecipient: '1/1h', sendsPerIp: '3/1h', sendsPerUser: false } });
    const known = account();
    expect(await c.anonymous.admit(known.email, { ip: '198.51.100.1' })).toBeNull();
    expect(await c.anonymous.admit(known.email, { ip: '198.51.100.2' })).toEqual({ status: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    // Tag and case variants share the address's allowance.
    expect(await c.anonymous.admit(known.email!.replace('@', '+x@').toUpperCase(), { ip: '198.51.100.3' })).toMatchObject({ status: 'RATE_LIMITED' });
    // An address that cannot be valid spends an allowance too, under its raw (trimmed, lower-cased) form.
    expect(await c.anonymous.admit(' Not An Address ', { ip: '198.51.100.4' })).toBeNull();
    expect(await c.anonymous.admit('not an address', { ip: '198.51.100.5' })).toMatchObject({ status: 'RATE_LIMITED' });
    expect(await c.anonymous.admit(undefined, { ip: '198.51.100.6' })).toBeNull();
    expect(await c.anonymous.admit(null, { ip: '198.51.100.7' })).toMatchObject({ status: 'RATE_LIMITED' });
    // Per IP, whatever the address.
    const ip = '198.51.100.99';
    for (let i = 0; i < 3; i++) expect(await c.anonymous.admit(`x${i}.${randomUUID().slice(0, 8)}@example.com`, { ip })).toBeNull();
    expect(await c.anonymous.admit(`x3.${randomUUID().slice(0, 8)}@example.com`, { ip })).toMatchObject({ status: 'RATE_LIMITED' });
    // Without an IP (no request), only the address counts.
    expect(await c.anonymous.admit(`x4.${randomUUID().slice(0, 8)}@example.com`, {})).toBeNull();
  });
});

describe('notifyExistingAccount', () => {
  it('queues a notice with the sign-in link to the address as typed, and nothing that could confirm anything', async () => {
    const c = core();
    const to = `Owner.${randomUUID().slice(0, 8)}@example.com`;
    expect(await c.notifyExistingAccount(` ${to} `, { loginUrl: 'https://app.test/login' })).toEqual({ status: 'QUEUED' });
    expect(rendered.at(-1)).toEqual({ kind: 'account-exists', data: { appName: c.config.appName, email: to, loginUrl: 'https://app.test/login' } });
    const [row] = await pending(to);
    expect(row.kind).toBe('account-exists');
    expect(open<RenderedEmail>(keys.outboxSeal, row.payload)).toEqual({ subject: 'subject of account-exists', html: '<p>account-exists</p>', text: 'https://app.test/login' });
  });

  it('refuses an invalid address without queuing', async () => {
    const c = core();
    const before = rendered.length;
    expect(await c.notifyExistingAccount('not an address', { loginUrl: 'https://app.test/login' })).toEqual({ status: 'INVALID_EMAIL' });
    expect(rendered.length).toBe(before);
  });

  it('counts against the recipient\'s allowance, so repeated sign-ups cannot flood the owner', async () => {
    const c = core({ limits: { sendsPerRecipient: '1/1h' } });
    const to = `flooded.${randomUUID().slice(0, 8)}@example.com`;
    expect(await c.notifyExistingAccount(to, { loginUrl: 'https://app.test/login' })).toEqual({ status: 'QUEUED' });
    expect(await c.notifyExistingAccount(to.replace('@', '+again@'), { loginUrl: 'https://app.test/login' }))
      .toEqual({ status: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(await pending(to)).toHaveLength(1);
  });
});

describe('revoke', () => {
  it('withdraws every verified address of the user and closes their open links, in one go', async () => {
    const c = core({ users: { findByEmail: async () => null, setEmail: async () => true } });
    const user = account();
    await c.verification.issue(user);
    await c.verification.confirm(new URL(rendered.at(-1)!.data.link!).searchParams.get('token'));
    await db.orm.em.fork().execute('insert into verigate_verified_email (user_id, email, verified_at) values (?, ?, now())', [user.id, 'second@example.com']);
    await c.addresses.start(user, { newEmail: `next.${randomUUID().slice(0, 8)}@example.com`, recentlyAuthenticated: true });
    const other = account();
    await c.verification.issue(other);

    expect(await c.revoke(user.id)).toEqual({ status: 'REVOKED', pairs: 2, userKey: user.id });
    expect(await c.verification.isVerified(user)).toBe(false);
    const open = await db.orm.em.fork().execute('select purpose from verigate_token where user_id = ? and used_at is null and superseded_at is null', [user.id]);
    expect(open).toEqual([]);
    expect(await c.verification.openLinkExpiry(other)).not.toBeNull();
    expect(await c.revoke(user.id)).toEqual({ status: 'REVOKED', pairs: 0, userKey: user.id });
  });

  it('answers INVALID_USER for an id it cannot use', async () => {
    expect(await core().revoke({ nested: 1 } as never)).toEqual({ status: 'INVALID_USER' });
  });

  it('keys a numeric id as its decimal string', async () => {
    expect(await core().revoke(17)).toEqual({ status: 'REVOKED', pairs: 0, userKey: '17' });
  });
});
