import type { Catalogue } from '../src/i18n/catalogue.ts';
import type { EmailRenderer } from '../src/ports/mail.ts';
import type { ViewRenderer } from './view-renderer.ts';

/**
 * Emails are views too (`emails/<kind>.subject|html|text.ejs`), overridable like pages, written in
 * the language decided when the mail was queued. Each part gets `msg(key, values)`: escaping for
 * the HTML part, plain for the subject and the text part. The subject is flattened to one line so
 * a template can never inject a header.
 */
export function createEmailRenderer(views: ViewRenderer, catalogue: Catalogue): EmailRenderer {
  return {
    async render(kind, data, locale) {
      const words = catalogue.translator(catalogue.match(locale));
      const expiresIn = data.ttlMs !== undefined ? words.duration(data.ttlMs) : data.expiresIn;
      const locals = { ...data, expiresIn, locale: words.locale } as unknown as Record<string, unknown>;
      const [subject, html, text] = await Promise.all([
        views.fragment(`emails/${kind}.subject`, { ...locals, msg: words.text }),
        views.fragment(`emails/${kind}.html`, { ...locals, msg: words.html }),
        views.fragment(`emails/${kind}.text`, { ...locals, msg: words.text }),
      ]);
      return { subject: subject.replace(/\s+/g, ' ').trim(), html, text, locale: words.locale };
    },
  };
}
