import type { UserId } from './user-id.ts';

/** What verigate passes along when it asks the host to switch an address. */
export interface SetEmailContext {
  /** The address the change was bound to when it was requested (`null`: the account had none). */
  previousEmail: string | null;
  /**
   * Runs a statement in verigate's transaction (bound parameters `$1`…). When the users table is in
   * the same PostgreSQL database, an adapter that writes through it switches the address atomically
   * with the token consumption.
   */
  query: <T = Record<string, unknown>>(text: string, params?: readonly unknown[]) => Promise<T[]>;
  /** verigate's transaction as the host's own MikroORM EntityManager, when verigate runs on the host's ORM (`em` option). */
  em?: unknown;
}

/**
 * The host's side of adding and changing addresses. verigate never touches the host's users table
 * except through these functions. Ids arrive as the host gave them to `getUser`.
 */
export interface UserStore {
  /**
   * Switch the user's address to `email` (canonical form) **only if** it is still
   * `context.previousEmail` (compare-and-set, e.g. `UPDATE users SET email = $new WHERE id = $id
   * AND email = $previous`). Return `true` if the address is now `email` (switched, or already
   * was), `false` if it is something else: then the change is stale and verigate refuses it.
   * Needed for the add-email and change-email pages (without it they answer 404).
   */
  setEmail?(userId: UserId, email: string, context: SetEmailContext): Promise<boolean> | boolean;
  /**
   * Check the user's current password before an address change. Without it, `recentLogin` must be
   * set. Never called with a password over 1024 characters or containing NUL (those count as wrong).
   */
  verifyPassword?(userId: UserId, password: string): Promise<boolean> | boolean;
  /**
   * Whether another account already uses `email`. When true, the requester gets the same answer as
   * for a free address and the owner is told by email. Default: never taken (then the host's own
   * unique index decides inside `setEmail`, which should return `false`).
   */
  isEmailTaken?(email: string, exceptUserId: UserId): Promise<boolean> | boolean;
  /**
   * The account that uses `email` (canonical form; match it the way your unique index does), as
   * `{ id, email }`, or null. Enables "send me a new link" for people who are not signed in
   * (lost the mail, another device). Default: none (that form is not offered).
   */
  findByEmail?(email: string): Promise<{ id: UserId; email: string | null } | null> | { id: UserId; email: string | null } | null;
  /**
   * The account with this id, as `{ id, email }`, or null. The service API reads a user's current
   * address through it (`GET /users/:id/verification`), and sends only to that address. The id
   * arrives as the string from the URL (`'42'`); return `id` in your own type. Default: none (the
   * service API then takes the address from the caller, `?email=` or `{ email }`).
   */
  findById?(id: string): Promise<{ id: UserId; email: string | null } | null> | { id: UserId; email: string | null } | null;
}
