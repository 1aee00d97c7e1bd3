import { defineEntity, p } from '@mikro-orm/core';

/**
 * The host's own account table. verigate never touches it: it only sees `{ id, email }`.
 * `email` holds the canonical form from `parseEmailAddress`, so uniqueness cannot be dodged
 * with case or Unicode tricks in the domain.
 */
export const ExampleUser = defineEntity({
  name: 'ExampleUser',
  tableName: 'example_user',
  properties: {
    id: p.uuid().primary(),
    email: p.string().length(254).unique('example_user_email_key'),
    passwordHash: p.string().length(255),
    createdAt: p.datetime(),
  },
});

/** Kept in step with the entity by hand; the example app has no migration tool of its own. */
export const CREATE_EXAMPLE_USER_TABLE = `create table if not exists example_user (
  id uuid primary key,
  email varchar(254) not null,
  password_hash varchar(255) not null,
  created_at timestamptz not null,
  constraint example_user_email_key unique (email)
)`;

/** What the session and the views know about a signed-in user. */
export interface SessionUser {
  id: string;
  email: string;
}
