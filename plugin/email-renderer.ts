import type { EmailRenderer } from '../src/ports/mail.ts';
import type { ViewRenderer } from './view-renderer.ts';

/**
 * Emails are views too (`emails/<kind>.subject|html|text.ejs`), overridable like pages.
 * The subject is flattened to one line so a template can never inject a header.
 */
export function createEmailRenderer(views: ViewRenderer): EmailRenderer {
  return {
    async render(kind, data) {
      const locals = { ...data } as unknown as Record<string, unknown>;
      const [subject, html, text] = await Promise.all([
        views.fragment(`emails/${kind}.subject`, locals),
        views.fragment(`emails/${kind}.html`, locals),
        views.fragment(`emails/${kind}.text`, locals),
      ]);
      return { subject: subject.replace(/\s+/g, ' ').trim(), html, text };
    },
  };
}
