import { defineEntity, p } from '@mikro-orm/core';

/** Proof that a user controlled an address. State belongs to the (user id, canonical email) pair. */
export const VerigateVerifiedEmail = defineEntity({
  name: 'VerigateVerifiedEmail',
  tableName: 'verigate_verified_email',
  properties: {
    userId: p.string().length(255).primary(),
    email: p.string().length(254).primary(),
    verifiedAt: p.datetime(),
  },
});
