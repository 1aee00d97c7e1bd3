import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import morgan from 'morgan';
import request from 'supertest';
import { maskUrlSecrets, morganReferrer, morganUrl, pinoRequestSerializer } from '../../../src/logging/access-log.ts';

const TOKEN = 'Zq3x9Tb0yW4rV8nM2kL6jH1gF5dS7aP0oI9uY3tR2eW';

describe('maskUrlSecrets', () => {
  it.each([
    [`/verify/confirm?token=${TOKEN}`, '/verify/confirm?token=[redacted]'],
    [`https://app.test/verify/email/undo?token=${TOKEN}#top`, 'https://app.test/verify/email/undo?token=[redacted]#top'],
    [`/verify/code?for=change&code=ABCD-EFGH`, '/verify/code?for=change&code=[redacted]'],
    [`/cb?Token=${TOKEN}&TOKEN=${TOKEN}`, '/cb?Token=[redacted]&TOKEN=[redacted]'],
    [`/x?%74oken=${TOKEN}`, '/x?%74oken=[redacted]'],
    [`/x?a=1&amp;token=${TOKEN}`, '/x?a=1&amp;token=[redacted]'],
    [`/x?token[]=${TOKEN}&token[1]=${TOKEN}`, '/x?token[]=[redacted]&token[1]=[redacted]'],
    [`/login?returnTo=%2Fverify%2Fconfirm%3Ftoken%3D${TOKEN}`, '/login?returnTo=[redacted]'],
    ['/verify/pending?returnTo=%2Fdashboard', '/verify/pending?returnTo=%2Fdashboard'],
    ['/verify/result?status=verified', '/verify/result?status=verified'],
    ['/plain/path', '/plain/path'],
    ['/x?token', '/x?token'],
    ['/x?token=%E0%A4%A', '/x?token=[redacted]'],
  ])('%s → %s', (url, masked) => {
    expect(maskUrlSecrets(url)).toBe(masked);
  });

  it('leaves anything that is not a string alone, and takes other parameter names', () => {
    expect(maskUrlSecrets(undefined)).toBeUndefined();
    expect(maskUrlSecrets('/x?sig=abc&token=t', ['sig'])).toBe('/x?sig=[redacted]&token=t');
  });
});

describe('morgan', () => {
  it('logs the URL and Referer with the token masked, through the token functions', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const log = morgan('combined', { stream });
    // morgan's tokens are process-wide: registering these on the module used here is what a host does.
    morgan.token('url', morganUrl);
    morgan.token('referrer', morganReferrer);
    const app = express();
    app.use(log);
    app.get('/verify/confirm', (req, res) => { res.send('ok'); });
    await request(app).get(`/verify/confirm?token=${TOKEN}`).set('Referer', `https://mail.test/read?token=${TOKEN}`).expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.join('')).toContain('"GET /verify/confirm?token=[redacted] HTTP/1.1" 200');
    expect(lines.join('')).toContain('"https://mail.test/read?token=[redacted]"');
    expect(lines.join('')).not.toContain(TOKEN);
  });
});

describe('pinoRequestSerializer', () => {
  it('masks the serialized request pino-http hands it: url, query, Referer; credentials in headers dropped', () => {
    // The shape of pino-std-serializers' req, with `raw` non-enumerable as there.
    const serialized = {
      id: 1, method: 'GET', url: `/verify/confirm?token=${TOKEN}`, query: { token: TOKEN, x: '1' }, params: {},
      headers: { host: 'app.test', referer: `https://app.test/verify/confirm?token=${TOKEN}`, cookie: 'sid=s%3Asecret', authorization: 'Bearer abc' },
      remoteAddress: '127.0.0.1', remotePort: 5000,
    };
    Object.defineProperty(serialized, 'raw', { value: { url: serialized.url }, enumerable: false });
    const out = pinoRequestSerializer(serialized);
    expect(out).toEqual({
      id: 1, method: 'GET', url: '/verify/confirm?token=[redacted]', query: { token: '[redacted]', x: '1' }, params: {},
      headers: { host: 'app.test', referer: 'https://app.test/verify/confirm?token=[redacted]', cookie: '[redacted]', authorization: '[redacted]' },
      remoteAddress: '127.0.0.1', remotePort: 5000,
    });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(serialized.url).toContain(TOKEN); // the input is not changed
  });

  it('makes a small masked record of a raw request', () => {
    const raw = { socket: {}, method: 'POST', originalUrl: `/verify/email/confirm?token=${TOKEN}`, url: '/email/confirm', headers: { cookie: 'sid=x' } };
    expect(pinoRequestSerializer(raw)).toEqual({ method: 'POST', url: '/verify/email/confirm?token=[redacted]', headers: { cookie: '[redacted]' } });
  });
});
