import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { outboxIdFromVerp, outboxIdOf, verpAddress } from '../../../src/bounces/verp.ts';

describe('VERP addresses', () => {
  it('round-trip an outbox id', () => {
    for (let i = 0; i < 50; i++) {
      const id = randomUUID();
      const address = verpAddress('bounces@mail.example.com', id);
      expect(address).toBe(`bounces+${id}@mail.example.com`);
      expect(outboxIdFromVerp(address)).toBe(id);
      expect(outboxIdFromVerp(`<${address.toUpperCase()}>`)).toBe(id);
      expect(outboxIdFromVerp(` ${address} `)).toBe(id);
    }
  });

  it.each([
    'bounces@mail.example.com', 'bounces+not-a-uuid@mail.example.com', `bounces+${randomUUID()}`, `+${randomUUID()}@x.com`,
    `a+${randomUUID()}@b@c.com`, `a+${randomUUID()}x@b.com`, '', 42, null, `a+${randomUUID()}@${'x'.repeat(400)}.com`,
  ])('finds no id in %p', (input) => {
    expect(outboxIdFromVerp(input)).toBeNull();
  });
});

describe('what a bounce report may name a mail by', () => {
  const id = randomUUID();
  it.each([
    [`<${id}@app.example.com>`], [`${id}@app.example.com`], [id], [id.toUpperCase()], [` <${id}@app.example.com> `], [`bounces+${id}@app.example.com`],
  ])('%s', (value) => {
    expect(outboxIdOf(value)).toBe(id);
  });

  it.each([['<abc@app.example.com>'], ['nope'], [`${id}@a@b`], [`<${id}`.slice(0, 20)], [{ id }]])('not %p', (value) => {
    expect(outboxIdOf(value)).toBeNull();
  });
});
