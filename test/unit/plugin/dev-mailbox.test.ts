import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { devMailbox, VerigateConfigError } from '../../../plugin/index.ts';

const mail = (to: string, text: string) => ({ to, from: 'App <a@app.test>', subject: `For ${to}`, text, html: `<p>${text}</p>` });

describe('devMailbox()', () => {
  it.each([undefined, 'production', 'Production', 'staging', ''])('refuses to exist when the environment is %p', (environment) => {
    let caught: unknown;
    const saved = process.env.NODE_ENV;
    // undefined: read from NODE_ENV, here unset, which counts as production.
    delete process.env.NODE_ENV;
    try { devMailbox({ environment }); } catch (error) { caught = error; } finally { process.env.NODE_ENV = saved; }
    expect(caught).toBeInstanceOf(VerigateConfigError);
    expect((caught as VerigateConfigError).code).toBe('VERIGATE_DEV_MAILBOX_IN_PRODUCTION');
    expect((caught as VerigateConfigError).hint).toContain('NODE_ENV=development');
  });

  it('keeps messages newest first up to its capacity, and keeps the outbox Message-ID', async () => {
    const box = devMailbox({ environment: 'test', capacity: 2 });
    await box.transport.sendMail(mail('a@x.test', 'one'));
    await box.transport.sendMail({ ...mail('b@x.test', 'two'), messageId: '<row-1@app.test>' }).then((info) => expect(info.messageId).toBe('<row-1@app.test>'));
    await box.transport.sendMail(mail('c@x.test', 'three'));
    expect(box.messages().map((m) => m.to)).toEqual(['c@x.test', 'b@x.test']);
    box.clear();
    expect(box.messages()).toEqual([]);
  });

  it('serves a page with clickable http(s) links only, escaped text, a sandboxed HTML part, and JSON on request', async () => {
    const box = devMailbox({ environment: 'development' });
    await box.transport.sendMail(mail('a@x.test', 'Open https://app.test/verify/confirm?token=abc. <script>x</script> javascript:alert(1)'));
    const app = express();
    app.use('/dev/mail', box.router());
    const page = await request(app).get('/dev/mail').expect(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('<a href="https://app.test/verify/confirm?token=abc">');
    expect(page.text).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page.text).not.toContain('href="javascript:');
    expect(page.text).toMatch(/<iframe[^>]+sandbox="allow-top-navigation-by-user-activation"/);
    const json = await request(app).get('/dev/mail').set('Accept', 'application/json').expect(200);
    expect(json.body).toEqual([expect.objectContaining({ to: 'a@x.test', subject: 'For a@x.test' })]);
  });

  it('speaks the developer\'s language (Accept-Language), subject markup kept inert in the frame title', async () => {
    const box = devMailbox({ environment: 'development' });
    await box.transport.sendMail({ ...mail('a@x.test', 'Hallo'), subject: 'Bestätigen "<b>x</b>"' });
    const app = express();
    app.use('/dev/mail', box.router());
    const page = await request(app).get('/dev/mail').set('Accept-Language', 'de').expect(200);
    expect(page.text).toContain('<html lang="de">');
    expect(page.text).toContain('<h1>Entwicklungs-Postfach</h1>');
    expect(page.text).toContain('<dt>An</dt>');
    expect(page.text).toContain('title="HTML-Fassung von „Bestätigen &#34;&lt;b&gt;x&lt;/b&gt;&#34;“"');
    expect(page.headers['content-language']).toBe('de');
    const english = await request(app).get('/dev/mail').expect(200);
    expect(english.text).toContain('<h1>Dev mailbox</h1>');
  });
});
