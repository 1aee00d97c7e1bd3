import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { solveChallenge } from 'altcha-lib/v1';
import request from 'supertest';
import { altchaChallenge } from '../../plugin/index.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { createUsersHost, type UsersHost } from '../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
const HMAC_KEY = 'altcha-test-key-0123456789abcdefghijklmnop';
let services: RealServices;
let host: UsersHost;

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services, { challenge: altchaChallenge({ hmacKey: HMAC_KEY, maxNumber: 2000 }) });
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

/** Mail queued to `email` and not yet sent. */
const queued = async (email: string) => (await services.db.orm.em.fork().execute(
  `select 1 from verigate_outbox where recipient = ? and status = 'pending'`, [email])).length;

/** What verigate's script does in the browser: read the challenge from the page, solve it, encode the payload. */
async function solvedFrom(html: string): Promise<string> {
  const attribute = /data-verigate-pow="([^"]+)"/.exec(html)![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const challenge = JSON.parse(attribute);
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  return Buffer.from(JSON.stringify({ algorithm: challenge.algorithm, challenge: challenge.challenge, number: solution!.number, salt: challenge.salt, signature: challenge.signature })).toString('base64');
}

describe('a bot challenge on "send me a new link"', () => {
  it('renders a self-hosted widget (script served by the router, nothing inline or third-party)', async () => {
    const page = await request(host.app).get('/verify/resend').expect(200);
    expect(page.text).toContain('data-verigate-pow=');
    expect(page.text).toMatch(/<script src="\/verify\/assets\/verigate-pow\.js" defer><\/script>/);
    expect(page.text).not.toMatch(/<script>(?!<)/);
    expect(page.text).toContain('<noscript>');
    const script = await request(host.app).get('/verify/assets/verigate-pow.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toContain('crypto.subtle.digest');
  });

  it('speaks the visitor\'s language, the script\'s status words included', async () => {
    const page = await request(host.app).get('/verify/resend').set('Accept-Language', 'de').expect(200);
    expect(page.text).toContain('data-pow-ready="Fertig."');
    expect(page.text).toContain('<p class="muted" data-pow-status>Wir prüfen, dass Sie kein Roboter sind …</p>');
    expect(page.text).toMatch(/<noscript><p class="notice warn">Dieses Formular braucht JavaScript/);
    const script = await request(host.app).get('/verify/assets/verigate-pow.js').expect(200);
    expect(script.text).not.toMatch(/textContent = '[A-Z]/);
  });

  it('refuses a missing, forged or replayed solution with 400 and sends nothing; a solved one goes through once', async () => {
    const email = `challenge-${randomUUID().slice(0, 8)}@example.com`;
    await host.createUser(email);
    const agent = request.agent(host.app);
    const page = await agent.get('/verify/resend').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const post = (challenge?: string) => agent.post('/verify/resend').set(JSON_ACCEPT).send({ email, _csrf: csrf, ...(challenge ? { challenge } : {}) });

    expect((await post()).body.error.code).toBe('CHALLENGE_FAILED');
    const forged = Buffer.from(JSON.stringify({ algorithm: 'SHA-256', challenge: 'x', number: 1, salt: 'y', signature: 'z' })).toString('base64');
    expect((await post(forged)).status).toBe(400);
    expect((await post('not base64 json')).status).toBe(400);
    // Refused before anything is looked up or queued: nothing runs after these answers.
    expect(await queued(email)).toBe(0);

    const solved = await solvedFrom(page.text);
    expect((await post(solved)).status).toBe(202);
    expect((await post(solved)).body.error.code).toBe('CHALLENGE_FAILED');
    // The send happens after the answer: wait for its row (a condition, not a pause), then deliver it.
    for (let i = 0; i < 200 && (await queued(email)) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    await host.vg.drain();
    await services.sink.waitFor((m) => m.to === email);
    expect(services.sink.messages.filter((m) => m.to === email)).toHaveLength(1);
  });

  it('takes any verifier, e.g. a Turnstile-style adapter reading its own field', async () => {
    const seen: unknown[] = [];
    const custom = await createUsersHost(services, {
      challenge: { field: 'cf-turnstile-response', verify: async (token, { ip }) => { seen.push({ token, ip }); return token === 'good-token'; } },
    });
    try {
      const agent = request.agent(custom.app);
      const csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/verify/resend').expect(200)).text)![1];
      await agent.post('/verify/resend').type('form').send({ email: 'x@example.com', _csrf: csrf, 'cf-turnstile-response': 'bad' }).expect(400);
      await agent.post('/verify/resend').type('form').send({ email: 'x@example.com', _csrf: csrf, 'cf-turnstile-response': 'good-token' }).expect(303);
      expect(seen).toEqual([{ token: 'bad', ip: expect.any(String) }, { token: 'good-token', ip: expect.any(String) }]);
    } finally {
      await custom.vg.close();
    }
  });
});
