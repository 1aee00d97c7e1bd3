import { VerigateOutbox } from './outbox-entity.ts';
import { VerigateToken } from './token-entity.ts';
import { VerigateVerifiedEmail } from './verified-email-entity.ts';

export { VerigateOutbox, VerigateToken, VerigateVerifiedEmail };

/** Add these to your MikroORM `entities` so verigate can use your EntityManager. */
export const verigateEntities = [VerigateToken, VerigateVerifiedEmail, VerigateOutbox] as const;
