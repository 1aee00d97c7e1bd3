import express, { type Router } from 'express';
import type { OutgoingMail } from '../plugin/index.ts';
import { wantsJson, type RenderPage } from './render.ts';

export interface StoredMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  sentAt: Date;
}

/** A mail transport for demos: keeps messages in memory instead of sending them anywhere. */
export interface DevMailbox {
  sendMail(message: OutgoingMail): Promise<{ messageId: string }>;
  /** Newest first. */
  messages(): readonly StoredMail[];
  readonly capacity: number;
}

export function createDevMailbox(options: { capacity?: number; announce?: (mail: StoredMail) => void } = {}): DevMailbox {
  const capacity = options.capacity ?? 200;
  const stored: StoredMail[] = [];
  let sequence = 0;
  return {
    capacity,
    async sendMail(message) {
      const mail: StoredMail = {
        to: String(message.to), from: String(message.from), subject: String(message.subject ?? ''),
        text: String(message.text ?? ''), html: String(message.html ?? ''), sentAt: new Date(),
      };
      stored.unshift(mail);
      if (stored.length > capacity) stored.length = capacity;
      options.announce?.(mail);
      return { messageId: `<dev-${Date.now()}-${++sequence}@dev-mailbox.invalid>` };
    },
    messages: () => stored.slice(),
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;
// Sentence punctuation that usually follows a link rather than belonging to it.
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/**
 * Plain text as HTML with http(s) links clickable. Text and URLs are escaped piece by piece,
 * and only URLs that parse with an http(s) scheme become links, so no other scheme can sneak in.
 */
function linkifyText(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    const start = match.index;
    let valid = false;
    try {
      const protocol = new URL(url).protocol;
      valid = protocol === 'http:' || protocol === 'https:';
    } catch {
      valid = false;
    }
    if (!valid) continue;
    html += escapeHtml(text.slice(last, start));
    html += `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = start + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

/**
 * The HTML body for a sandboxed iframe (no scripts, no same-origin access). `<base target="_top">`
 * plus the sandbox flag lets a person's click on a link open it in the tab, where the session
 * cookie is sent; nothing in the message can navigate by itself.
 */
function srcdocFor(html: string): string {
  const base = '<base target="_top">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + base) : base + html;
}

export function createDevMailboxRouter(mailbox: DevMailbox, render: RenderPage): Router {
  const router = express.Router();
  router.get('/', async (req, res) => {
    const messages = mailbox.messages();
    if (wantsJson(req)) {
      res.set('Cache-Control', 'no-store');
      res.json(messages.map((m) => ({ to: m.to, from: m.from, subject: m.subject, text: m.text, html: m.html, sentAt: m.sentAt.toISOString() })));
      return;
    }
    await render(req, res, 'dev-mail', {
      capacity: mailbox.capacity,
      messages: messages.map((m) => ({
        to: m.to, from: m.from, subject: m.subject, html: m.html,
        sentAt: m.sentAt.toISOString(),
        sentAtText: m.sentAt.toUTCString(),
        textHtml: linkifyText(m.text),
        srcdoc: srcdocFor(m.html),
      })),
    });
  });
  return router;
}
