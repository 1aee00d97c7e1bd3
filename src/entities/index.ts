import { VerigateOutbox } from './outbox-entity.ts';
import { VerigateToken } from './token-entity.ts';
import { VerigateVerifiedEmail } from './verified-email-entity.ts';

export { VerigateOutbox, VerigateToken, VerigateVerifiedEmail };

/**
 * verigate's tables as MikroORM entities, for hosts that want them in their own schema tooling or
 * queries (`import { verigateEntities } from 'verigate/entities'`). verigate itself runs plain SQL
 * and does not need them registered.
 */
export const verigateEntities = [VerigateToken, VerigateVerifiedEmail, VerigateOutbox] as const;
