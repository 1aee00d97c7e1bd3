import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { emailVerification } from '../../plugin/index.ts';
import { csrfFrom, newUser, signedIn } from '../helpers/flow.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import type { ReceivedMail } from '../helpers/smtp-sink.ts';

const GERMAN = { 'Accept-Language': 'de-DE,de;q=0.9,en;q=0.8' };
let services: RealServices;
let host: HostApp;
/** The host's own record of who prefers which language, read by its `locale` hook. */
const preferred = new Map<string, string>();
const warnings: string[] = [];

beforeAll(async () => {
  services = await startRealServices();
  host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, {
    appName: '<b>Müller & Söhne</b>',
    locale: (req, user) => {
      if (user && String(user.id).startsWith('broken-')) throw new Error('profile service down');
      return user ? preferred.get(String(user.id)) : undefined;
    },
    messages: { de: { 'pending.title': 'Ihr Postfach wartet' }, en: { 'confirm.button': 'Yes, that is my address' } },
    logger: { info() {}, warn: (message) => { warnings.push(message); }, error() {} },
  });
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

async function mailTo(email: string): Promise<ReceivedMail> {
  await host.vg.drain();
  return services.sink.waitFor((m) => m.to === email);
}

describe('pages in the visitor\'s language', () => {
  it('follows Accept-Language, q-values included, and says so in lang and Content-Language', async () => {
    const user = newUser();
    await host.vg.sendVerification(user, { locale: 'en' });
    const browser = await signedIn(host.app, user);

    const german = await browser.get('/verify/pending').set(GERMAN).expect(200);
    expect(german.text).toContain('<html lang="de">');
    expect(german.text).toContain('Wir haben einen Link an <strong>');
    expect(german.text).toContain('Oder geben Sie den Code aus der E-Mail ein');
    expect(german.headers['content-language']).toBe('de');
    expect(german.headers.vary).toMatch(/Accept-Language/i);

    const weighted = await browser.get('/verify/pending').set('Accept-Language', 'en;q=0.4, de;q=0.7').expect(200);
    expect(weighted.text).toContain('<html lang="de">');
    const english = await browser.get('/verify/pending').set('Accept-Language', 'fr, en;q=0.5').expect(200);
    expect(english.text).toContain('<html lang="en">');
    expect(english.text).toContain('Check your inbox');
  });

  it('lets the host\'s one-string override win, in the language it was given for', async () => {
    const user = newUser();
    const browser = await signedIn(host.app, user);
    const page = await browser.get('/verify/pending').set(GERMAN).expect(200);
    expect(page.text).toContain('<title>Ihr Postfach wartet · &lt;b&gt;Müller &amp; Söhne&lt;/b&gt;</title>');
    expect(page.text).not.toContain('Sehen Sie in Ihr Postfach');
    const confirm = await request(host.app).get(`/verify/confirm?token=${'A'.repeat(43)}`).expect(200);
    expect(confirm.text).toContain('Yes, that is my address');
    const confirmDe = await request(host.app).get(`/verify/confirm?token=${'A'.repeat(43)}`).set(GERMAN).expect(200);
    expect(confirmDe.text).toContain('Meine E-Mail-Adresse bestätigen');
  });

  it('puts the host\'s per-user hook before Accept-Language, and falls back when it has no answer', async () => {
    const user = newUser();
    preferred.set(user.id, 'de-AT');
    const browser = await signedIn(host.app, user);
    const page = await browser.get('/verify/pending').set('Accept-Language', 'en').expect(200);
    expect(page.text).toContain('<html lang="de">');

    preferred.set(user.id, 'tlh'); // a language verigate has no words for
    const fallback = await browser.get('/verify/pending').set('Accept-Language', 'en').expect(200);
    expect(fallback.text).toContain('<html lang="en">');
  });

  it('keeps serving the page when the hook throws, and tells the operator', async () => {
    const user = { ...newUser(), id: `broken-${newUser().id}` };
    const browser = await signedIn(host.app, user);
    const page = await browser.get('/verify/pending').set(GERMAN).expect(200);
    expect(page.text).toContain('<html lang="de">');
    expect(warnings).toContain('the locale hook threw; using Accept-Language');
  });

  it('answers JSON errors in the language asked for, with the same code', async () => {
    const res = await request(host.app).post('/verify/confirm').set({ ...GERMAN, Accept: 'application/json' })
      .send({ token: 'nope' }).expect(400);
    expect(res.body.error.code).toBe('TOKEN_INVALID');
    expect(res.body.error.message).toMatch(/^Der Link ist unvollständig/);
    expect(res.headers['content-language']).toBe('de');
  });

  it('explains a wrong code in the visitor\'s language, with the plural its number needs', async () => {
    const user = newUser();
    await host.vg.sendVerification(user, { locale: 'en' });
    const browser = await signedIn(host.app, user);
    const csrf = csrfFrom((await browser.get('/verify/pending').set(GERMAN)).text);
    const page = await browser.post('/verify/code').set(GERMAN).type('form').send({ code: 'ABCD-EFGH', _csrf: csrf }).expect(400);
    expect(page.text).toContain('Der Code stimmt nicht mit dem überein, den wir geschickt haben. Noch 4 Versuche übrig.');
  });
});

describe('mails in the recipient\'s language', () => {
  it('writes the mail in the language of the request that asked for it, dates and durations included', async () => {
    const user = newUser();
    await host.vg.sendVerification(user, { locale: 'en' });
    const browser = await signedIn(host.app, user);
    const page = await browser.get('/verify/pending').set(GERMAN);
    await browser.post('/verify/resend').set(GERMAN).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    await host.vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === user.email && m.subject.startsWith('Bestätigen'));
    expect(mail.subject).toBe('Bestätigen Sie Ihre E-Mail-Adresse für <b>Müller & Söhne</b>');
    expect(mail.text).toMatch(/Der Link funktioniert einmal und läuft in 24 Stunden ab \(\d{1,2}\. \p{L}+ \d{4} um \d{2}:\d{2} UTC\)/u);
    expect(mail.text).toContain('Der Link funktioniert nicht? Geben Sie diesen Code');
    expect(mail.html).toContain('<html lang="de">');
    expect(mail.html).toContain('&lt;b&gt;Müller &amp; Söhne&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>Müller');
    expect(mail.raw).toMatch(/^Content-Language: de\r?$/m);
  });

  it('asks the per-user hook for a mail sent outside any request', async () => {
    const user = newUser();
    preferred.set(user.id, 'de');
    await host.vg.sendVerification(user);
    const mail = await mailTo(user.email);
    expect(mail.subject).toMatch(/^Bestätigen Sie Ihre E-Mail-Adresse/);
  });

  it('defaults to English without a hook answer, a request or a locale', async () => {
    const user = newUser();
    await host.vg.sendVerification(user);
    const mail = await mailTo(user.email);
    expect(mail.subject).toMatch(/^Confirm your email address/);
    expect(mail.text).toContain('expires in 24 hours');
    expect(mail.raw).toMatch(/^Content-Language: en\r?$/m);
  });

  it('writes a sign-up notice in the language the host passes', async () => {
    const email = `taken-${newUser().email}`;
    expect(await host.vg.notifyExistingAccount(email, { locale: 'de' })).toEqual({ status: 'QUEUED' });
    const mail = await mailTo(email);
    expect(mail.subject).toBe('Jemand wollte sich bei <b>Müller & Söhne</b> mit Ihrer Adresse registrieren');
    expect(mail.html).toContain('Sie haben bereits ein Konto');
  });
});

describe('language options at start-up', () => {
  const base = () => ({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, database: 'postgresql://127.0.0.1:1/none', migrate: false,
    mail: { from: 'a@app.test', transport: { sendMail: async () => ({}) } }, worker: { autoStart: false },
  });

  it('refuses an unknown message key with the key it probably meant', () => {
    expect(() => emailVerification({ ...base(), messages: { de: { 'pending.titel': 'x' } } })).toThrow(expect.objectContaining({
      code: 'VERIGATE_UNKNOWN_MESSAGE', hint: "Did you mean 'pending.title'?",
    }));
  });

  it('refuses a locale hook that is not a function, and a misspelt option name', () => {
    expect(() => emailVerification({ ...base(), locale: 'de' as never })).toThrow(expect.objectContaining({ code: 'VERIGATE_INVALID_LOCALE' }));
    expect(() => emailVerification({ ...base(), defaultLocal: 'de' } as never)).toThrow(expect.objectContaining({
      code: 'VERIGATE_UNKNOWN_OPTION', hint: 'Did you mean defaultLocale?',
    }));
  });
});
