import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { TestDatabase } from '../helpers/database.ts';
import { mailedToken, newUser, signedIn } from '../helpers/flow.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import type { TestRedis } from '../helpers/redis.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';

const hostViews = fileURLToPath(new URL('../fixtures/host-views', import.meta.url));
let services: RealServices;
let db: TestDatabase;
let redis: TestRedis;
let sink: SmtpSink;
let host: HostApp;

beforeAll(async () => {
  services = await startRealServices();
  ({ db, redis, sink } = services);
  host = createHostApp({ db, redis, smtpUrl: sink.url }, { views: hostViews, layout: 'host-layout' }, (app) => {
    // A host middleware handing its own data to the overriding layout.
    app.use((req, res, next) => { res.locals.hostUser = 'ada'; next(); });
  });
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

describe('host view overrides', () => {
  it('uses the host\'s page where it has one, inside the host\'s layout with its res.locals', async () => {
    const user = newUser();
    const browser = await signedIn(host.app, user);
    const page = await browser.get('/verify/pending').expect(200);
    expect(page.text).toContain('Host pending page');
    expect(page.text).toContain(`<p data-test="pending-email">${user.email}</p>`);
    expect(page.text).toContain('Signed in as ada');
    expect(page.text).not.toContain('We sent a link to'); // verigate's own pending body
  });

  it('falls back to verigate\'s own page for the rest, still in the host\'s layout', async () => {
    const invalid = await request(host.app).get('/verify/confirm?token=not-a-token').expect(303);
    const page = await request(host.app).get(invalid.headers.location).expect(400);
    expect(page.text).toContain('This link is not valid');
    expect(page.text).toContain('Send a new link');
    expect(page.text).toContain('<title>This link is not valid | Host</title>');
  });

  it('overrides one part of an email and keeps verigate\'s other parts', async () => {
    const user = newUser();
    await mailedToken(host.vg, sink, user);
    const mail = sink.messages.find((m) => m.to === user.email)!;
    expect(mail.subject).toBe(`Host subject: please verify ${user.email}`);
    expect(mail.text).toContain('/verify/confirm?token=');
  });
});
