/** An outbox id: a UUID, as PostgreSQL prints it. */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const VERP = new RegExp(`^<?\\s*[^\\s<>@+]+\\+(${UUID})@[^\\s<>@]+\\s*>?$`, 'i');
const MESSAGE_ID = new RegExp(`^<?\\s*(${UUID})(?:@[^\\s<>@]+)?\\s*>?$`, 'i');

/** The envelope sender of one mail with VERP: `bounces@example.com` + id → `bounces+<id>@example.com`. */
export function verpAddress(base: string, outboxId: string): string {
  const at = base.lastIndexOf('@');
  return `${base.slice(0, at)}+${outboxId}@${base.slice(at + 1)}`;
}

/**
 * The outbox id a VERP address carries (`bounces+<id>@example.com`, angle brackets allowed), or
 * null. Give it the address a DSN was delivered to (its envelope recipient, often in the
 * `Delivered-To:` or `X-Original-To:` header), then `reportBounce({ messageId: id }, …)`.
 */
export function outboxIdFromVerp(address: unknown): string | null {
  if (typeof address !== 'string' || address.length > 400) return null;
  return VERP.exec(address.trim())?.[1]?.toLowerCase() ?? null;
}

/**
 * The outbox id behind what a bounce report names: the mail's Message-ID (`<id@domain>`, with or
 * without brackets), the bare outbox id, or a VERP address. Null when it is none of these.
 */
export function outboxIdOf(messageId: unknown): string | null {
  if (typeof messageId !== 'string' || messageId.length > 400) return null;
  return MESSAGE_ID.exec(messageId.trim())?.[1]?.toLowerCase() ?? outboxIdFromVerp(messageId);
}
