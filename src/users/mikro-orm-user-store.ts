import type { UserStore } from './user-store.ts';
import type { UserId } from './user-id.ts';
import { uniquenessKey } from '../email/uniqueness-key.ts';

export interface MikroOrmUserStoreOptions {
  /** The host's EntityManager (verigate forks it). */
  em: UserEntityManager;
  /** The host's user entity: a class or a `defineEntity` schema. */
  entity: unknown;
  /** Primary key property. Default `'id'`. */
  idProperty?: string;
  /** Email property. Default `'email'`. */
  emailProperty?: string;
  /**
   * A property holding `uniquenessKey(email)` under a unique index (so `Alice@x.com` and
   * `alice@x.com` are one account). When set, it is written with every switch and used for lookups.
   * Default: none (lookups compare the email property).
   */
  uniqueKeyProperty?: string;
  /** The `caseSensitiveLocalPart` you gave `addresses`, for the unique key. Default `false`. */
  caseSensitiveLocalPart?: boolean;
  /**
   * The primary key is a number (serial, integer): `findById`, which gets ids from URLs as text,
   * then looks up only whole numbers, as numbers. Default `false` (ids looked up as text).
   */
  numericId?: boolean;
  /** Optional password check for re-authentication, e.g. `(user, password) => argon2.verify(user.passwordHash, password)`. */
  verifyPassword?: (user: Record<string, unknown>, password: string) => Promise<boolean> | boolean;
}

/**
 * A ready `users` adapter for hosts whose users are a MikroORM entity. When verigate runs on the
 * same ORM (`em` option), the switch joins verigate's transaction: the address changes if and only
 * if the token is consumed.
 */
/** The EntityManager methods this adapter uses (MikroORM's `orm.em` has them). */
interface UserEntityManager {
  fork(): UserEntityManager;
  nativeUpdate(entity: never, where: never, data: never): Promise<number>;
  count(entity: never, where: never): Promise<number>;
  findOne(entity: never, where: never): Promise<unknown>;
}

/** PostgreSQL's invalid_text_representation (22P02), as the driver or MikroORM's wrapper reports it. */
function isInvalidText(error: unknown): boolean {
  for (let e = error as { code?: unknown; sqlState?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === '22P02' || e.sqlState === '22P02') return true;
  }
  return false;
}

export function mikroOrmUserStore(options: MikroOrmUserStoreOptions): UserStore {
  const id = options.idProperty ?? 'id';
  const email = options.emailProperty ?? 'email';
  const keyProperty = options.uniqueKeyProperty;
  const where = (userId: UserId, extra: Record<string, unknown> = {}) => ({ [id]: userId, ...extra }) as never;
  const keyOf = (address: string) => uniquenessKey(address, { caseSensitiveLocalPart: options.caseSensitiveLocalPart ?? false });
  /** The condition that finds the account using `address`, the way the host's unique index sees it. */
  const byAddress = (address: string) => (keyProperty ? { [keyProperty]: keyOf(address) } : { [email]: address });
  const emailData = (address: string) => ({ [email]: address, ...(keyProperty ? { [keyProperty]: keyOf(address) } : {}) }) as never;

  return {
    async setEmail(userId, newEmail, context) {
      const em = (context.em as UserEntityManager | undefined) ?? options.em.fork();
      const switched = await em.nativeUpdate(options.entity as never, where(userId, { [email]: context.previousEmail }), emailData(newEmail));
      if (switched > 0) return true;
      // Idempotent: a retried confirmation whose first run already switched the address.
      return (await em.count(options.entity as never, where(userId, { [email]: newEmail }))) > 0;
    },
    async isEmailTaken(candidate, exceptUserId) {
      return (await options.em.fork().count(options.entity as never, { ...byAddress(candidate), [id]: { $ne: exceptUserId } } as never)) > 0;
    },
    async findByEmail(address) {
      const user = await options.em.fork().findOne(options.entity as never, byAddress(address) as never) as Record<string, unknown> | null;
      return user ? { id: user[id] as UserId, email: (user[email] as string | null) ?? null } : null;
    },
    async findById(userId) {
      // Ids come from a URL as text: for a numeric primary key, text that is not a number matches nobody (rather than failing the query).
      const key = options.numericId ? (/^[1-9]\d{0,14}$/.test(userId) ? Number(userId) : null) : userId;
      if (key === null) return null;
      let user: Record<string, unknown> | null;
      try {
        user = await options.em.fork().findOne(options.entity as never, where(key)) as Record<string, unknown> | null;
      } catch (error) {
        // Text the key's type cannot hold (a malformed uuid) names nobody; it is not a failure.
        if (isInvalidText(error)) return null;
        throw error;
      }
      return user ? { id: user[id] as UserId, email: (user[email] as string | null) ?? null } : null;
    },
    ...(options.verifyPassword ? {
      async verifyPassword(userId: UserId, password: string) {
        const user = await options.em.fork().findOne(options.entity as never, where(userId));
        return user ? options.verifyPassword!(user as Record<string, unknown>, password) : false;
      },
    } : {}),
  };
}
