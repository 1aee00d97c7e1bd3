import type { UserId } from '../users/user-id.ts';

/**
 * The only thing verigate needs to know about a host's user. `email` is `null` for an account that
 * has none yet (the gate then asks for one).
 */
export interface VerigateUser {
  id: UserId;
  email: string | null;
}
