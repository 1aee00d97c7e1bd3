import { randomBytes } from 'node:crypto';
import express from 'express';
import { emailVerification, type EmailVerification, type VerigateOptions } from '../../plugin/index.ts';
import type { ApiScope } from '../../src/service-api/api-key.ts';
import type { RealServices } from './real-services.ts';
import { TEST_SECRET } from './services.ts';

export interface LogLine { level: 'info' | 'warn' | 'error'; message: string; meta?: Record<string, unknown> }

export interface ServiceHost {
  app: express.Express;
  vg: EmailVerification;
  /** Everything verigate logged. */
  logs: LogLine[];
  /** This instance's Redis key prefix (limits). */
  redisPrefix: string;
  /** A row in the host's own users table (integer id). */
  createUser(email: string | null): Promise<number>;
  /** A fresh API key with these scopes, as the CLI would make it. */
  key(scopes: ApiScope[], name?: string): Promise<{ id: string; key: string }>;
}

/**
 * A host that only serves verigate's service API (no sessions, no pages) at /internal/verigate, on
 * its own connection, with limits in the real Redis and the audit table on. With `findById` the
 * host's users table (integer ids) is where addresses come from.
 */
export async function createServiceHost(services: RealServices, options: { findById?: boolean; overrides?: Partial<VerigateOptions> } = {}): Promise<ServiceHost> {
  const em = services.db.orm.em;
  await em.fork().execute('create table if not exists svc_user (id serial primary key, email varchar(254))');
  const logs: LogLine[] = [];
  const redisPrefix = `${services.redis.prefix}${randomBytes(4).toString('hex')}:`;
  const vg = emailVerification({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, database: services.db.url,
    mail: { from: 'Host <no-reply@app.test>', transport: services.sink.url },
    logger: {
      info: (message, meta) => { logs.push({ level: 'info', message, meta }); },
      warn: (message, meta) => { logs.push({ level: 'warn', message, meta }); },
      error: (message, meta) => { logs.push({ level: 'error', message, meta }); },
    },
    worker: { autoStart: false },
    redis: services.redis.client, redisPrefix,
    audit: { table: true },
    ...(options.findById ? {
      users: {
        findById: async (id: string) => {
          if (!/^\d{1,9}$/.test(id)) return null;
          const [row] = await em.fork().execute('select id, email from svc_user where id = ?', [Number(id)]);
          return row ? { id: Number(row.id), email: row.email } : null;
        },
        setEmail: async (id, email, { previousEmail, query }) => (await query(
          'update svc_user set email = $1 where id = $2 and (email is not distinct from $3 or email = $1) returning 1', [email, id, previousEmail])).length > 0,
      },
    } : {}),
    ...options.overrides,
  });
  const app = express();
  app.use('/internal/verigate', vg.serviceRouter());
  app.use((req, res) => { res.status(404).json({ host: 'not found' }); });
  await vg.ready();
  return {
    app, vg, logs, redisPrefix,
    async createUser(email) {
      const [row] = await em.fork().execute('insert into svc_user (email) values (?) returning id', [email]);
      return Number(row.id);
    },
    async key(scopes, name = 'test') {
      const created = await vg.apiKeys.create({ name, scopes });
      if (created.status !== 'CREATED') throw new Error(`key not created: ${created.status}`);
      return { id: created.info.id, key: created.key };
    },
  };
}
