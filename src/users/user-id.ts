/** A host's user id as it hands it over: integer ids, bigint ids and string ids (UUIDs, usernames) alike. */
export type UserId = string | number | bigint;

/** How the id was given, so hooks can hand it back in the same type. */
export type UserIdType = 'string' | 'number' | 'bigint';

export type NormalisedUserId =
  | { ok: true; key: string; type: UserIdType }
  | { ok: false; message: string };

const MAX_BYTES = 255;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The one stored form of a user id: its decimal or string representation. `42`, `42n` and `'42'`
 * are the same user to verigate, so a host that reads ids back as strings (express-session stores
 * JSON) still matches the rows it wrote with numbers.
 */
export function normaliseUserId(id: unknown): NormalisedUserId {
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id)) return { ok: false, message: `a numeric user id must be a safe integer (got ${id})` };
    return { ok: true, key: String(id), type: 'number' };
  }
  if (typeof id === 'bigint') return { ok: true, key: id.toString(), type: 'bigint' };
  if (typeof id === 'string') {
    if (id === '') return { ok: false, message: 'the user id is an empty string' };
    if (Buffer.byteLength(id) > MAX_BYTES) return { ok: false, message: `the user id is longer than ${MAX_BYTES} bytes` };
    if (CONTROL.test(id)) return { ok: false, message: 'the user id contains control characters' };
    return { ok: true, key: id, type: 'string' };
  }
  return { ok: false, message: `a user id must be a string, a number or a bigint (got ${id === null ? 'null' : typeof id})` };
}

/** The id in the type the host used, from the stored form; for hooks. */
export function restoreUserId(key: string, type: string): UserId {
  if (type === 'number') return Number(key);
  if (type === 'bigint') return BigInt(key);
  return key;
}
