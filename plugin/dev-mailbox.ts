import express, { type Router } from 'express';
import { fail } from '../src/config/checks.ts';
import { isNonProduction } from '../src/config/environment.ts';
import type { OutgoingMail } from '../src/ports/mail.ts';
import { loadAssets } from './assets.ts';
import { responseNonce } from './content-security-policy.ts';
import { wantsJson } from './negotiate.ts';
import { setPrivateHeaders } from './respond.ts';
import { createViewRenderer } from './view-renderer.ts';
import { linkifyText, srcdocFor } from './dev-mailbox-html.ts';
import { resolveCatalogue } from '../src/i18n/catalogue.ts';
import { negotiateLocale } from '../src/i18n/negotiate-locale.ts';

export interface StoredMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  sentAt: Date;
}

export interface DevMailboxOptions {
  /** Messages kept in memory, newest first. Default `200`. */
  capacity?: number;
  /** Called for each message, e.g. to print "mail for x: open /dev/mail" (never the link itself). Default: none. */
  announce?: (mail: StoredMail) => void;
  /** `'development'` or `'test'`; anything else is refused. Default: `NODE_ENV`. */
  environment?: string;
  /** Host view folders searched first (a `dev-mail.ejs` or `layout.ejs` of yours wins). Default `[]`. */
  views?: string | string[];
}

/**
 * A mail transport for development: keeps messages in memory instead of sending them, plus a
 * `/dev/mail` page listing them with clickable links. The page shows everyone's live links, so
 * the mailbox refuses to exist outside development and test (exactly those two words).
 */
export interface DevMailbox {
  /** Pass as `mail.transport`. */
  readonly transport: { sendMail(message: OutgoingMail): Promise<{ messageId: string }>; readonly devMailbox: true };
  /** The page (HTML) and its list (JSON): `app.use('/dev/mail', mailbox.router())`. */
  router(): Router;
  /** Newest first. */
  messages(): readonly StoredMail[];
  clear(): void;
  readonly capacity: number;
}

export function devMailbox(options: DevMailboxOptions = {}): DevMailbox {
  const environment = options.environment ?? process.env.NODE_ENV;
  if (!isNonProduction(environment)) {
    fail('VERIGATE_DEV_MAILBOX_IN_PRODUCTION', `devMailbox() is for development only; the environment is ${environment === undefined ? 'unset (NODE_ENV is not set), which counts as production' : JSON.stringify(environment)}.`,
      'Its page lists every live verification link. Set NODE_ENV=development (or test) for local work, and use a real SMTP transport in production.');
  }
  const capacity = options.capacity ?? 200;
  if (!Number.isInteger(capacity) || capacity < 1) fail('VERIGATE_INVALID_NUMBER', 'devMailbox capacity must be a whole number of 1 or more.', `Got ${JSON.stringify(options.capacity)}.`);
  const stored: StoredMail[] = [];
  let sequence = 0;

  const transport = {
    devMailbox: true as const,
    async sendMail(message: OutgoingMail) {
      const mail: StoredMail = {
        to: String(message.to), from: String(message.from), subject: String(message.subject ?? ''),
        text: String(message.text ?? ''), html: String(message.html ?? ''), sentAt: new Date(),
      };
      stored.unshift(mail);
      if (stored.length > capacity) stored.length = capacity;
      options.announce?.(mail);
      return { messageId: message.messageId ?? `<dev-${Date.now()}-${++sequence}@dev-mailbox.invalid>` };
    },
  };

  function router(): Router {
    const views = createViewRenderer({ hostDirs: options.views === undefined ? [] : [options.views].flat(), layout: 'layout', cache: false });
    const assets = loadAssets();
    // verigate's own languages, chosen by Accept-Language: the page is a developer's, not a user's.
    const catalogue = resolveCatalogue();
    const page = express.Router();
    page.get('/assets/:file', assets.handler);
    page.get('/', async (req, res, next) => {
      try {
        // Like verigate's pages, except that the messages' own inline styles apply in their preview
        // (a srcdoc frame inherits this policy); their scripts never run (no 'unsafe-inline' script, and a sandbox).
        const nonce = responseNonce(res);
        setPrivateHeaders(res, `default-src 'none'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'`);
        if (wantsJson(req)) {
          return void res.json(stored.map((m) => ({ to: m.to, from: m.from, subject: m.subject, text: m.text, html: m.html, sentAt: m.sentAt.toISOString() })));
        }
        const words = catalogue.translator(negotiateLocale(req.headers['accept-language'], catalogue.locales, catalogue.defaultLocale));
        const when = new Intl.DateTimeFormat(words.locale, { dateStyle: 'medium', timeStyle: 'long', timeZone: 'UTC' });
        const html = await views.page('dev-mail', {
          ...res.locals,
          title: words.text('devMail.title'),
          appName: res.locals.appName ?? words.text('devMail.title'),
          stylesheetUrl: `${req.baseUrl}/assets/${assets.fileName('verigate.css')}`,
          msg: words.html,
          locale: words.locale,
          capacity,
          messages: stored.map((m) => ({
            to: m.to, from: m.from, subject: m.subject, html: m.html, sentAt: m.sentAt.toISOString(),
            sentAtText: when.format(m.sentAt), textHtml: linkifyText(m.text), srcdoc: srcdocFor(m.html),
          })),
        });
        res.set('Content-Language', words.locale).vary('Accept-Language').type('html').send(html);
      } catch (error) {
        next(error);
      }
    });
    return page;
  }

  return { transport, router, messages: () => stored.slice(), clear: () => { stored.length = 0; }, capacity };
}
