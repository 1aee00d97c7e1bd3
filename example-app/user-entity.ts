import { defineEntity, p } from '@mikro-orm/core';

/**
 * The host's own account table. verigate never touches it: it only sees `{ id, email }` (and
 * switches `email` through the users adapter). `email` is the address as typed (mail goes there);
 * `emailKey` is verigate's uniqueness key (local part case-folded, domain canonical) under a unique
 * index, so `Alice@example.com` and `alice@example.com` can never be two accounts.
 */
export const ExampleUser = defineEntity({
  name: 'ExampleUser',
  tableName: 'example_user',
  properties: {
    id: p.uuid().primary(),
    email: p.string().length(254),
    emailKey: p.string().length(254).unique('example_user_email_key_key'),
    passwordHash: p.string().length(255),
    createdAt: p.datetime(),
  },
});

/** Kept in step with the entity by hand; the example app has no migration tool of its own. */
export const CREATE_EXAMPLE_USER_TABLE = [
  `create table if not exists example_user (
    id uuid primary key,
    email varchar(254) not null,
    email_key varchar(254) not null,
    password_hash varchar(255) not null,
    created_at timestamptz not null,
    constraint example_user_email_key_key unique (email_key)
  )`,
  // Databases made by earlier versions of the example app: key by the lower-cased address.
  `alter table example_user add column if not exists email_key varchar(254)`,
  `update example_user set email_key = lower(email) where email_key is null`,
  `create unique index if not exists example_user_email_key_key on example_user (email_key)`,
];

/** What the session and the views know about a signed-in user. */
export interface SessionUser {
  id: string;
  email: string;
}
