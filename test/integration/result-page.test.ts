import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { mailedToken, newUser } from '../helpers/flow.ts';
import { fakeClock } from '../helpers/fake-clock.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { resultUrl } from '../helpers/result-url.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
const clock = fakeClock();
let services: RealServices;
let host: HostApp;

beforeAll(async () => {
  services = await startRealServices();
  host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, { clock });
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

describe('the result page', () => {
  it.each([
    '/verify/result?status=verified',
    '/verify/result?status=email-changed',
    '/verify/result?status=verified&until=99999999999&sig=AAAAAAAAAAAAAAAAAAAAAA',
  ])('cannot be spoofed by typing %s', async (path) => {
    const page = await request(host.app).get(path).expect(404);
    expect(page.text).not.toMatch(/confirmed|changed/i);
    const json = await request(host.app).get(path).set(JSON_ACCEPT).expect(404);
    expect(json.body.error).toMatchObject({ code: 'NOT_FOUND', reason: 'RESULT_INVALID' });
  });

  it('shows the outcome of a link pressed in a browser with no session, and creates none', async () => {
    const user = newUser();
    const token = await mailedToken(host.vg, services.sink, user);
    const pressed = await request(host.app).post('/verify/confirm').type('form').send({ token }).expect(303);
    expect(pressed.headers.location).toMatch(resultUrl('verified'));
    expect(pressed.headers['set-cookie']).toBeUndefined();
    const page = await request(host.app).get(pressed.headers.location).expect(200);
    expect(page.text).toContain('Email address confirmed');
    expect(page.headers['set-cookie']).toBeUndefined();
    // A tampered outcome on a genuine signature shows nothing.
    await request(host.app).get(pressed.headers.location.replace('status=verified', 'status=email-changed')).expect(404);
  });

  it('answers JSON when asked: the success, or the same error the POST gave', async () => {
    const user = newUser();
    const token = await mailedToken(host.vg, services.sink, user);
    const first = await request(host.app).post('/verify/confirm').type('form').send({ token }).expect(303);
    expect((await request(host.app).get(first.headers.location).set(JSON_ACCEPT).expect(200)).body).toEqual({ status: 'VERIFIED', continueUrl: '/' });
    const again = await request(host.app).post('/verify/confirm').type('form').send({ token }).expect(303);
    expect(again.headers.location).toMatch(resultUrl('used'));
    const used = await request(host.app).get(again.headers.location).set(JSON_ACCEPT).expect(409);
    expect(used.body).toEqual({ error: { code: 'TOKEN_USED', message: expect.any(String) } });
  });

  it('stops showing an outcome after 15 minutes', async () => {
    const invalid = await request(host.app).get('/verify/confirm?token=nope').expect(303);
    await request(host.app).get(invalid.headers.location).expect(400);
    clock.advance(15 * 60_000 + 1000);
    try {
      const late = await request(host.app).get(invalid.headers.location).set(JSON_ACCEPT).expect(404);
      expect(late.body.error).toMatchObject({ code: 'NOT_FOUND', reason: 'RESULT_EXPIRED' });
    } finally {
      clock.advance(-(15 * 60_000 + 1000));
    }
  });
});
