import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { createUsersHost, type UsersHost } from '../helpers/users-host-app.ts';

/** Inputs the bad-input corpus found answered with a 5xx; each now gets its ordinary answer. */
const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let usersHost: UsersHost;
let passwordHost: HostApp;
const passwordsSeen: string[] = [];

beforeAll(async () => {
  services = await startRealServices();
  usersHost = await createUsersHost(services);
  await usersHost.vg.ready();
  passwordHost = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, {
    users: {
      setEmail: async () => true,
      verifyPassword: async (_id, password) => { passwordsSeen.push(password); return password === 'right'; },
    },
  });
});
afterAll(async () => {
  await passwordHost.vg.close();
  await usersHost.vg.close();
  await services.close();
});

describe('"send me a new link" with an address that is not text', () => {
  it.each([[[]], [null], [{ toString: 'x' }], [[['a']]], ['   '], [42]])('answers %j like any address (202), not 500', async (email) => {
    const agent = request.agent(usersHost.app);
    const csrf = (await agent.get('/verify/resend').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    const answer = await agent.post('/verify/resend').set(JSON_ACCEPT).send({ _csrf: csrf, email }).expect(202);
    expect(answer.body).toEqual({ status: 'ACCEPTED' });
  });
});

describe('the password before an address change', () => {
  it.each([['a NUL', 'right\u0000'], ['over 1024 characters', 'r'.repeat(1025)]])('with %s counts as wrong without reaching the host', async (_name, password) => {
    const user = { id: randomUUID(), email: `pw-${randomUUID().slice(0, 8)}@example.com` };
    const result = await passwordHost.vg.requestEmailChange(user, { newEmail: `pw-new-${randomUUID().slice(0, 8)}@example.com`, password });
    expect(result.status).toBe('WRONG_PASSWORD');
    expect(passwordsSeen).not.toContain(password);
  });

  it('of 1024 characters still reaches the host', async () => {
    const user = { id: randomUUID(), email: `pw-${randomUUID().slice(0, 8)}@example.com` };
    const password = 'r'.repeat(1024);
    expect((await passwordHost.vg.requestEmailChange(user, { newEmail: `pw-new-${randomUUID().slice(0, 8)}@example.com`, password })).status).toBe('WRONG_PASSWORD');
    expect(passwordsSeen).toContain(password);
  });
});
