import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { createUsersHost, type UsersHost } from '../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let host: UsersHost;

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services);
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;
const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);

async function anonymousBrowser() {
  const agent = request.agent(host.app);
  const page = await agent.get('/verify/pending').expect(200);
  expect(page.text).toContain('Get a new link');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
  return { agent, csrf };
}

describe('"send me a new link" without signing in', () => {
  let unknown: string;
  let unverified: string;
  let verified: string;

  beforeAll(async () => {
    unknown = fresh('nobody');
    unverified = fresh('waiting');
    verified = fresh('done');
    await host.createUser(unverified);
    const id = await host.createUser(verified);
    await host.vg.sendVerification({ id, email: verified });
    await host.vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === verified);
    await host.vg.confirm(/token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1]);
  });

  it('answers byte for byte the same for an unknown, an unverified and a verified address; only the unverified one gets a link', async () => {
    const { agent, csrf } = await anonymousBrowser();
    const answers = [];
    for (const email of [unknown, unverified, verified]) {
      const json = await agent.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ email });
      const html = await agent.post('/verify/resend').type('form').send({ email, _csrf: csrf });
      answers.push({ json: [json.status, json.text], html: [html.status, html.headers.location, html.text] });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[0].json).toEqual([202, '{"status":"ACCEPTED"}']);
    expect(answers[0].html.slice(0, 2)).toEqual([303, '/verify/resend']);
    const page = await agent.get('/verify/resend').expect(200);
    expect(page.text).toContain('If an account with that address is waiting to be confirmed');

    await new Promise((resolve) => setTimeout(resolve, 300));
    await host.vg.drain();
    await services.sink.waitFor(() => mailsTo(unverified).length >= 1);
    expect(mailsTo(unknown)).toHaveLength(0);
    expect(mailsTo(verified)).toHaveLength(1); // only its original verification mail
  });

  it('takes the same time in all three cases (median within 5 ms)', async () => {
    const { agent, csrf } = await anonymousBrowser();
    const times: Record<string, number[]> = { unknown: [], unverified: [], verified: [] };
    const cases: Array<[string, string]> = [['unknown', unknown], ['unverified', unverified], ['verified', verified]];
    for (let round = 0; round < 25; round++) {
      for (const [label, email] of round % 2 ? cases : [...cases].reverse()) {
        const started = process.hrtime.bigint();
        await agent.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ email }).expect(202);
        times[label].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const medians = Object.values(times).map(median);
    expect(Math.max(...medians) - Math.min(...medians)).toBeLessThan(5);
    await host.vg.drain();
  });

  it('writes the link in the language of the visitor who asked for it', async () => {
    const email = fresh('sprache');
    await host.createUser(email);
    const { agent, csrf } = await anonymousBrowser();
    await agent.post('/verify/resend').set({ ...JSON_ACCEPT, 'Accept-Language': 'de-CH, en;q=0.5' }).set('X-CSRF-Token', csrf).send({ email }).expect(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await host.vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === email);
    expect(mail.subject).toMatch(/^Bestätigen Sie Ihre E-Mail-Adresse für /);
  });

  it('refuses a missing CSRF token and sends nothing', async () => {
    const agent = request.agent(host.app);
    const email = fresh('csrf');
    await host.createUser(email);
    await agent.post('/verify/resend').set(JSON_ACCEPT).send({ email }).expect(403);
    await host.vg.drain();
    expect(mailsTo(email)).toHaveLength(0);
  });
});
