import type { UserId } from '../users/user-id.ts';

/** The one inbound event type verigate acts on. */
export const USER_REGISTERED = 'user.registered';

/**
 * A stream entry, read:
 * - `user.registered`: send this user a verification (deduplicated by `id`);
 * - `other`: another type on a shared stream, acknowledged and left alone;
 * - `malformed`: acknowledged and logged (with `problem`, never the fields' values).
 */
export type InboundEvent =
  | { kind: 'user.registered'; id: string; user: { id: UserId; email: string } }
  | { kind: 'other'; type: string }
  | { kind: 'malformed'; problem: string };

const CONTROL = /[\u0000-\u001f\u007f]/;
const INTEGER = /^-?\d{1,40}$/;

function fieldsOf(flat: readonly unknown[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const [key, value] = [flat[i], flat[i + 1]];
    if (typeof key === 'string' && typeof value === 'string' && !fields.has(key)) fields.set(key, value);
  }
  return fields;
}

/** The id in the type the producer declares (`userIdType`: `string` by default, `number` or `bigint`), as a host would give it. */
function userIdOf(raw: string | undefined, type = 'string'): { ok: true; id: UserId } | { ok: false; problem: string } {
  if (raw === undefined || raw === '') return { ok: false, problem: 'userId is missing' };
  if (type === 'string') return { ok: true, id: raw };
  if (type !== 'number' && type !== 'bigint') return { ok: false, problem: 'userIdType must be string, number or bigint' };
  if (!INTEGER.test(raw)) return { ok: false, problem: `userId is not an integer although userIdType is ${type}` };
  if (type === 'bigint') return { ok: true, id: BigInt(raw) };
  const n = Number(raw);
  return Number.isSafeInteger(n) ? { ok: true, id: n } : { ok: false, problem: 'userId is not a safe integer' };
}

/**
 * Reads one entry's fields (`XADD <stream> * type user.registered id <event id> userId <id> email
 * <address> [userIdType number]`). Only shape is checked here; the address goes through the same
 * policy as every other send.
 */
export function parseInboundEvent(flat: readonly unknown[] | null | undefined): InboundEvent {
  const fields = fieldsOf(flat ?? []);
  const type = fields.get('type');
  if (type === undefined) return { kind: 'malformed', problem: 'type is missing' };
  if (type !== USER_REGISTERED) return { kind: 'other', type };
  const id = fields.get('id');
  if (id === undefined || id === '' || Buffer.byteLength(id) > 255 || CONTROL.test(id)) {
    return { kind: 'malformed', problem: 'id must be 1 to 255 bytes without control characters' };
  }
  const email = fields.get('email');
  if (email === undefined || email === '' || email.length > 1000) return { kind: 'malformed', problem: 'email is missing or too long' };
  const userId = userIdOf(fields.get('userId'), fields.get('userIdType'));
  if (!userId.ok) return { kind: 'malformed', problem: userId.problem };
  return { kind: 'user.registered', id, user: { id: userId.id, email } };
}
