import type { UserId } from '../users/user-id.ts';

/** One rendered email, ready to hand to a transport. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  /** The language it was written in (sent as `Content-Language`), decided when it was queued. */
  locale?: string;
}

export interface OutgoingMail extends RenderedEmail {
  to: string;
  from: string;
  /** `<outbox-row-id@sender-domain>`, so a duplicate delivery is recognisable as one. */
  messageId?: string;
  /** e.g. `{ 'Content-Language': 'de' }`. */
  headers?: Record<string, string>;
  /** The SMTP envelope, when it differs from the headers: with VERP, `from` is `bounces+<outboxId>@…`. */
  envelope?: { from: string; to: string };
}

/** Anything that can send a message, such as a nodemailer transporter. */
export interface MailTransport {
  sendMail(message: OutgoingMail): Promise<unknown>;
}

/**
 * Kinds of email verigate sends; each is a view `emails/<kind>.{subject,html,text}.ejs`.
 * - `verify`: the link (and code) proving the user's current address;
 * - `email-change`: the link proving a new (or first) address;
 * - `email-change-notice`: to the previous address, with the new one masked and an undo link;
 * - `email-taken-notice`: to the owner of an address someone tried to switch to;
 * - `account-exists`: to the owner of an address someone tried to sign up with.
 */
export type EmailKind = 'verify' | 'email-change' | 'email-change-notice' | 'email-taken-notice' | 'account-exists';

export interface EmailTemplateData {
  appName: string;
  /** The address the message goes to, as the host stored it. */
  email: string;
  /** The single-use link. Only ever placed in the email body. */
  link?: string;
  /** The short code beside the link, grouped for reading (`ABCD-EFGH`). */
  code?: string;
  /** Undo link in a change notice. */
  undoLink?: string;
  /** The new address, masked (`j***@example.com`), in a change notice. */
  newEmailMasked?: string;
  expiresAt?: Date;
  /** Link lifetime in milliseconds. */
  ttlMs?: number;
  /** Link lifetime in words in the mail's language, e.g. `'24 hours'`; filled in by the renderer from `ttlMs`. */
  expiresIn?: string;
  /** Where the owner can sign in or reset a password (notices). */
  loginUrl?: string;
}

/**
 * The language of a mail, decided when it is queued (the mail is rendered then and sealed in the
 * outbox): a tag, or a function of the recipient's account for sends whose user is found later
 * (anonymous resend). `undefined`: the renderer's default.
 */
export type LocaleChoice = string | ((user: { id: UserId; email: string | null }) => string | undefined) | undefined;

/** Renders an email kind to subject, HTML and text in a language. The plugin supplies an EJS renderer. */
export interface EmailRenderer {
  render(kind: EmailKind, data: EmailTemplateData, locale?: string): Promise<RenderedEmail>;
}

/** The tag a choice comes to for this recipient. */
export function chooseLocale(choice: LocaleChoice, user: { id: UserId; email: string | null }): string | undefined {
  return typeof choice === 'function' ? choice(user) : choice;
}
