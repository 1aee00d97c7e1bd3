import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineEntity, p } from '@mikro-orm/core';
import { mikroOrmUserStore } from '../../src/users/mikro-orm-user-store.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const NumberUser = defineEntity({ name: 'NumberUser', tableName: 'number_user', properties: { id: p.integer().primary(), email: p.string().nullable() } });
const UuidUser = defineEntity({ name: 'UuidUser', tableName: 'uuid_user', properties: { id: p.uuid().primary(), email: p.string().nullable() } });
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase([NumberUser as never, UuidUser as never]);
  await db.orm.em.execute('create table number_user (id serial primary key, email varchar(254))');
  await db.orm.em.execute('create table uuid_user (id uuid primary key, email varchar(254))');
});
afterAll(async () => { await db.close(); });

describe('mikroOrmUserStore().findById (ids arrive from URLs as text)', () => {
  it('finds integer keys as numbers with numericId, and matches nobody for text that is not one', async () => {
    const [row] = await db.orm.em.fork().execute("insert into number_user (email) values ('n@example.com') returning id");
    const store = mikroOrmUserStore({ em: db.orm.em, entity: NumberUser, numericId: true });
    expect(await store.findById!(String(row.id))).toEqual({ id: row.id, email: 'n@example.com' });
    for (const junk of ['abc', '0', '01', '1.5', '-1', '9'.repeat(20)]) expect([junk, await store.findById!(junk)]).toEqual([junk, null]);
  });

  it('finds text keys as text, and a malformed uuid matches nobody instead of failing', async () => {
    const id = randomUUID();
    await db.orm.em.fork().execute('insert into uuid_user (id, email) values (?, null)', [id]);
    const store = mikroOrmUserStore({ em: db.orm.em, entity: UuidUser });
    expect(await store.findById!(id)).toEqual({ id, email: null });
    expect(await store.findById!(randomUUID())).toBeNull();
    expect(await store.findById!('not-a-uuid')).toBeNull();
  });
});
