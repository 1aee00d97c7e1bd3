import { describe, expect, it } from '@jest/globals';
import { describeError, redactSecrets } from '../../../src/logging/redact.ts';
import { createToken } from '../../../src/tokens/token.ts';

const token = createToken();
const link = `https://app.example.com/verify/confirm?token=${token}`;

describe('redactSecrets', () => {
  it('removes https and http links', () => {
    const out = redactSecrets(`Click ${link} now, or http://example.com/x?y=z.`);
    expect(out).not.toContain('https://');
    expect(out).not.toContain('http://');
    expect(out).not.toContain(token);
    expect(out).not.toContain('app.example.com');
    expect(out).toBe('Click [link] now, or [link]');
  });

  it('removes links regardless of scheme case', () => {
    expect(redactSecrets(`see HTTPS://APP.EXAMPLE.COM/confirm?token=${token}`)).toBe('see [link]');
  });

  it('removes a bare 43-character token', () => {
    const out = redactSecrets(`550 rejected: token=${token} (spam)`);
    expect(out).not.toContain(token);
    expect(out).toContain('[redacted]');
    expect(out).toContain('550 rejected: token=');
    expect(out).toContain('(spam)');
  });

  it('removes tokens containing - and _', () => {
    const dashy = `${'a-b_'.repeat(10)}xyz`;
    expect(dashy).toHaveLength(43);
    expect(redactSecrets(`token ${dashy}`)).toBe('token [redacted]');
  });

  it('removes a token from a link without a scheme', () => {
    const out = redactSecrets(`app.example.com/verify/confirm?token=${token}`);
    expect(out).not.toContain(token);
  });

  it('removes several tokens and links in one text', () => {
    const other = createToken();
    const out = redactSecrets(`${token}\n${link}\n${other}`);
    expect(out).not.toContain(token);
    expect(out).not.toContain(other);
  });

  it('leaves ordinary text alone', () => {
    const text = '421 4.7.0 Try again later, closing connection. (alice@example.com)';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('describeError', () => {
  it('includes code, response code and message', () => {
    const error = Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT', responseCode: 421 });
    const out = describeError(error);
    expect(out).toContain('ETIMEDOUT');
    expect(out).toContain('421');
    expect(out).toContain('Greeting never received');
  });

  it('never includes a token or link echoed in the message', () => {
    const error = Object.assign(new Error(`Message rejected: body was "${link}" token ${token}`), { code: 'EMESSAGE' });
    const out = describeError(error);
    expect(out).toContain('EMESSAGE');
    expect(out).not.toContain(token);
    expect(out).not.toContain(token.slice(0, 32));
    expect(out).not.toContain('https://');
  });

  it('truncates to 300 characters by default and to a given maximum', () => {
    const long = new Error('x '.repeat(1_000));
    expect(describeError(long)).toHaveLength(300);
    expect(describeError(long, 50)).toHaveLength(50);
    expect(describeError(new Error('short'), 50)).toBe('short');
  });

  it('never leaves a partial token when truncating', () => {
    const error = new Error(`${'a '.repeat(140)}${token}`);
    for (const max of [285, 290, 300, 320]) {
      const out = describeError(error, max);
      expect(out).not.toContain(token.slice(0, 8));
    }
  });

  it('describes non-Error values', () => {
    expect(describeError('plain string failure')).toBe('plain string failure');
    expect(describeError(null)).toBe('null');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(`bad ${token}`)).not.toContain(token);
    expect(describeError({ code: 'ECONNREFUSED' })).toContain('ECONNREFUSED');
  });
});
