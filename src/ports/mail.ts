/** One rendered email, ready to hand to a transport. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface OutgoingMail extends RenderedEmail {
  to: string;
  from: string;
}

/** Anything that can send a message, such as a nodemailer transporter. */
export interface MailTransport {
  sendMail(message: OutgoingMail): Promise<unknown>;
}

/** Kinds of email verigate sends; later features add kinds, not new mechanisms. */
export type EmailKind = 'verify';

export interface EmailTemplateData {
  appName: string;
  /** The address the message goes to, as the host stored it. */
  email: string;
  /** The single-use link. Only ever placed in the email body. */
  link: string;
  expiresAt: Date;
  /** Link lifetime in words, e.g. `'24 hours'`, `'15 minutes'`. */
  expiresIn: string;
}

/** Renders an email kind to subject, HTML and text. The plugin supplies an EJS renderer. */
export interface EmailRenderer {
  render(kind: EmailKind, data: EmailTemplateData): Promise<RenderedEmail>;
}
