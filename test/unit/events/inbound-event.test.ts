import { describe, expect, it } from '@jest/globals';
import { parseInboundEvent } from '../../../src/events/inbound-event.ts';

const flat = (fields: Record<string, string>) => Object.entries(fields).flat();
const base = { type: 'user.registered', id: 'evt-1', userId: '42', email: 'jane@example.com' };

describe('parseInboundEvent', () => {
  it('reads user.registered with the id type the producer declares (string by default)', () => {
    expect(parseInboundEvent(flat(base))).toEqual({ kind: 'user.registered', id: 'evt-1', user: { id: '42', email: 'jane@example.com' } });
    expect(parseInboundEvent(flat({ ...base, userIdType: 'number' }))).toMatchObject({ user: { id: 42 } });
    expect(parseInboundEvent(flat({ ...base, userId: '123456789012345678901', userIdType: 'bigint' }))).toMatchObject({ user: { id: 123456789012345678901n } });
  });

  it('leaves other event types alone (a shared stream)', () => {
    expect(parseInboundEvent(flat({ ...base, type: 'user.deleted' }))).toEqual({ kind: 'other', type: 'user.deleted' });
  });

  it.each([
    ['no fields', []],
    ['no type', flat({ id: 'x', userId: '1', email: 'a@b.c' })],
    ['no id', flat({ type: 'user.registered', userId: '1', email: 'a@b.c' })],
    ['an id with a newline', flat({ ...base, id: 'a\nb' })],
    ['an id over 255 bytes', flat({ ...base, id: 'é'.repeat(128) })],
    ['no email', flat({ type: 'user.registered', id: 'x', userId: '1' })],
    ['no user id', flat({ type: 'user.registered', id: 'x', email: 'a@b.c' })],
    ['a non-integer numeric id', flat({ ...base, userId: '4.2', userIdType: 'number' })],
    ['an unsafe numeric id', flat({ ...base, userId: '9007199254740993', userIdType: 'number' })],
    ['an unknown id type', flat({ ...base, userIdType: 'uuid' })],
  ])('calls an entry with %s malformed', (_, fields) => {
    expect(parseInboundEvent(fields as string[]).kind).toBe('malformed');
  });

  it('never echoes field values in its problem (they may hold addresses)', () => {
    const result = parseInboundEvent(flat({ ...base, userId: 'jane@example.com', userIdType: 'number' }));
    expect(result.kind).toBe('malformed');
    expect(JSON.stringify(result)).not.toContain('jane');
  });
});
