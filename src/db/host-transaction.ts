import { isMikroOrmEntityManager, mikroOrmContext, type MikroOrmEntityManager } from './mikro-orm.ts';
import { pgContext, type PgQueryable, type SqlContext } from './sql-context.ts';

/**
 * The host's open transaction, for writes that must commit or roll back with the host's own (a
 * user row and its first link): a MikroORM EntityManager inside `em.transactional`, or a `pg`
 * client after `BEGIN`. Either must reach the database verigate's tables are in.
 */
export interface HostTransaction {
  em?: MikroOrmEntityManager;
  client?: PgQueryable;
}

export function hostTransaction(options: HostTransaction | undefined): SqlContext | undefined {
  if (!options) return undefined;
  if (options.em !== undefined && options.client !== undefined) throw new TypeError('verigate: pass either em or client, not both');
  if (options.em !== undefined) {
    if (!isMikroOrmEntityManager(options.em)) throw new TypeError('verigate: em must be a MikroORM EntityManager (inside em.transactional)');
    return mikroOrmContext(options.em);
  }
  if (options.client !== undefined) {
    if (typeof options.client?.query !== 'function') throw new TypeError('verigate: client must have query(text, values), e.g. a pg PoolClient after BEGIN');
    return pgContext(options.client);
  }
  return undefined;
}
