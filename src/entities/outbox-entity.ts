import { defineEntity, p } from '@mikro-orm/core';

/**
 * One email waiting to be sent, written in the same transaction as the token it carries.
 * `payload` is sealed (AES-GCM) while pending and set to null once sent; `lastError` never holds a link.
 */
export const VerigateOutbox = defineEntity({
  name: 'VerigateOutbox',
  tableName: 'verigate_outbox',
  properties: {
    id: p.uuid().primary(),
    /** Who delivers it: `mail` (SMTP), or an event sink, `redis` or `webhook`. */
    channel: p.string().length(16).default('mail'),
    kind: p.string().length(64),
    recipient: p.string().length(320),
    payload: p.text().nullable(),
    /** `pending`, `sent`, `dead`, or `suppressed` (a mail to an address that bounced, never sent). */
    status: p.string().length(16).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    lastError: p.string().length(500).nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    sentAt: p.datetime().nullable(),
    /** A sent or dead mail's canonical recipient, sealed (AES-GCM), so a bounce reported by Message-ID can name it; purged with the row. */
    recipientSealed: p.text().nullable(),
  },
});
