import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { seal } from '../crypto/seal.ts';
import { VerigateOutbox } from '../entities/outbox-entity.ts';
import type { EmailKind, RenderedEmail } from '../ports/mail.ts';

export interface OutboxEntry {
  kind: EmailKind;
  /** The address exactly as the host stored it: mail always goes there. */
  to: string;
  email: RenderedEmail;
}

/**
 * Queues one email inside the caller's transaction, so the email exists if and only if the
 * token it carries does. The rendered message (which holds the link) is sealed at rest.
 */
export async function enqueueEmail(tx: SqlEntityManager, sealKey: Buffer, entry: OutboxEntry, now: Date): Promise<string> {
  const id = randomUUID();
  await tx.insert(VerigateOutbox, {
    id,
    kind: entry.kind,
    recipient: entry.to,
    payload: seal(sealKey, entry.email),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}
