import { describe, expect, it } from '@jest/globals';
import { checkReport } from '../../../src/bounces/bounce-input.ts';

describe('bounce reports as they arrive', () => {
  it('take an address by its canonical form and a mail by any of its ids', () => {
    expect(checkReport({ address: ' Jane.Doe@EXAMPLE.com ' }, { kind: 'hard' })).toEqual({ target: { email: 'Jane.Doe@example.com' }, kind: 'hard', reason: null, eventId: null });
    expect(checkReport({ messageId: '<0b9a1c3e-2f4d-4e5f-8a6b-7c8d9e0f1a2b@app.example.com>' }, { kind: 'complaint', eventId: 'evt-1' }))
      .toEqual({ target: { outboxId: '0b9a1c3e-2f4d-4e5f-8a6b-7c8d9e0f1a2b' }, kind: 'complaint', reason: null, eventId: 'evt-1' });
  });

  it('keep a reason as one short clean line, without addresses, links or token-shaped strings', () => {
    const reason = (text: string) => (checkReport({ address: 'a@example.com' }, { kind: 'soft', reason: text }) as { reason: string | null }).reason;
    expect(reason('550-5.1.1 <jane@example.com>: Recipient\r\n  address rejected\u0000')).toBe('550-5.1.1 <[address]>: Recipient address rejected');
    expect(reason('see https://mx.example.com/why?id=1 for help')).toBe('see [link] for help');
    expect(reason(`token ${'A'.repeat(43)}`)).toBe('token [redacted]');
    expect(reason('x y '.repeat(2000))).toHaveLength(200);
    expect(reason('   ')).toBeNull();
    expect(reason('\u202Eevil')).toBe('evil');
  });

  it.each([
    ['no target', {}, { kind: 'hard' }, 'TARGET'],
    ['two targets', { address: 'a@example.com', messageId: 'x' }, { kind: 'hard' }, 'TARGET'],
    ['a target that is no object', 'a@example.com', { kind: 'hard' }, 'TARGET'],
    ['a bad address', { address: 'a@b' }, { kind: 'hard' }, 'ADDRESS'],
    ['an address with a line break', { address: 'a@example.com\r\nBcc: x@example.com' }, { kind: 'hard' }, 'ADDRESS'],
    ['a bad message id', { messageId: '<1234@app>' }, { kind: 'hard' }, 'MESSAGE_ID'],
    ['a missing kind', { address: 'a@example.com' }, {}, 'KIND'],
    ['an unknown kind', { address: 'a@example.com' }, { kind: 'transient' }, 'KIND'],
    ['a reason that is no text', { address: 'a@example.com' }, { kind: 'hard', reason: ['550'] }, 'REASON'],
    ['an empty event id', { address: 'a@example.com' }, { kind: 'hard', eventId: '' }, 'EVENT_ID'],
    ['an event id with a control character', { address: 'a@example.com' }, { kind: 'hard', eventId: 'a\nb' }, 'EVENT_ID'],
    ['a huge event id', { address: 'a@example.com' }, { kind: 'hard', eventId: 'x'.repeat(201) }, 'EVENT_ID'],
  ])('refuse %s', (label, target, report, problem) => {
    expect(checkReport(target, report)).toEqual({ problem });
  });
});
