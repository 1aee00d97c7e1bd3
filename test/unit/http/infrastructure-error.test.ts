import { describe, expect, it } from '@jest/globals';
import { isInfrastructureError } from '../../../src/http/infrastructure-error.ts';

function withCode(code: string, message = 'failed'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isInfrastructureError: true', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED'])(
    'network code %s',
    (code) => {
      expect(isInfrastructureError(withCode(code))).toBe(true);
    },
  );

  it.each([
    ['57P01', 'admin_shutdown'],
    ['08006', 'connection_failure'],
    ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
    ['53300', 'too_many_connections'],
    ['53200', 'out_of_memory'],
  ])('PostgreSQL SQLSTATE %s (%s)', (code) => {
    expect(isInfrastructureError(withCode(code))).toBe(true);
  });

  it('an error wrapped in cause', () => {
    const wrapped = new Error('query failed', { cause: withCode('ECONNREFUSED') });
    expect(isInfrastructureError(wrapped)).toBe(true);
    const twice = new Error('outer', { cause: new Error('middle', { cause: withCode('57P01') }) });
    expect(isInfrastructureError(twice)).toBe(true);
  });

  it('an AggregateError with an infrastructure error in errors[]', () => {
    const aggregate = new AggregateError([new Error('boom'), withCode('ECONNREFUSED')], 'all attempts failed');
    expect(isInfrastructureError(aggregate)).toBe(true);
  });

  it.each(['ConnectionException', 'MaxRetriesPerRequestError', 'ServiceUnavailableError', 'DatabaseTimeoutError', 'ClusterAllFailedError'])('name %s', (name) => {
    const error = new Error('x');
    error.name = name;
    expect(isInfrastructureError(error)).toBe(true);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection is closed.',
    'connection timeout',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Reached the max retries per request limit (which is 20).',
    "Stream isn't writeable and enableOfflineQueue options is false",
    'Command timed out',
    'Query read timeout',
    'Failed to refresh slots cache. ClusterAllFailedError',
  ])('message %j', (message) => {
    expect(isInfrastructureError(new Error(message))).toBe(true);
  });

  it('plain objects with a network code', () => {
    expect(isInfrastructureError({ code: 'ECONNRESET' })).toBe(true);
  });

  it('a cause five levels down (the deepest it walks)', () => {
    let error: unknown = withCode('ECONNREFUSED');
    for (let i = 0; i < 5; i++) error = new Error(`level ${i}`, { cause: error });
    expect(isInfrastructureError(error)).toBe(true);
  });
});

describe('isInfrastructureError: false', () => {
  it.each([
    ['unique violation 23505', withCode('23505', 'duplicate key value violates unique constraint')],
    ['syntax error 42601', withCode('42601', 'syntax error at or near "selec"')],
    ['plain Error', new Error('boom')],
    ['TypeError', new TypeError('x is not a function')],
    ['code that only looks like a class', withCode('08')],
    ['lower-case SQLSTATE-like code', withCode('57p01')],
    ['six characters starting with a class', withCode('08006x')],
    ['six characters, the first two a class', withCode('080061')],
    ['a numeric code (another driver\'s errno)', Object.assign(new Error('failed'), { code: 57000 })],
    ['a message that is not a string', Object.assign(new Error(), { message: ['connect ECONNREFUSED 127.0.0.1:5432'] })],
  ])('%s', (_name, error) => {
    expect(isInfrastructureError(error)).toBe(false);
  });

  it.each([[null], [undefined], [0], [''], ['ECONNREFUSED'], [false]])('non-object %p', (value) => {
    expect(isInfrastructureError(value)).toBe(false);
  });

  it('an AggregateError of ordinary errors', () => {
    expect(isInfrastructureError(new AggregateError([new Error('a'), withCode('23505')]))).toBe(false);
  });

  it('a cause chain of ordinary errors', () => {
    expect(isInfrastructureError(new Error('a', { cause: new Error('b', { cause: 'c' }) }))).toBe(false);
  });

  it('terminates on a cyclic cause chain', () => {
    const a: { message: string; cause?: unknown } = { message: 'a' };
    const b = { message: 'b', cause: a };
    a.cause = b;
    expect(isInfrastructureError(a)).toBe(false);
  });

  it('stops walking after a bounded depth', () => {
    let error: unknown = withCode('ECONNREFUSED');
    for (let i = 0; i < 20; i++) error = new Error(`level ${i}`, { cause: error });
    expect(isInfrastructureError(error)).toBe(false);
    let six: unknown = withCode('ECONNREFUSED');
    for (let i = 0; i < 6; i++) six = new Error(`level ${i}`, { cause: six });
    expect(isInfrastructureError(six)).toBe(false);
  });

  it('stops walking nested AggregateErrors at the same depth, and on an AggregateError that contains itself', () => {
    let error: unknown = withCode('ECONNREFUSED');
    for (let i = 0; i < 20; i++) error = new AggregateError([new Error('other'), error], `level ${i}`);
    expect(isInfrastructureError(error)).toBe(false);
    const cyclic = new AggregateError([], 'cyclic');
    cyclic.errors.push(cyclic);
    expect(isInfrastructureError(cyclic)).toBe(false);
  });

  it('only reads objects: a thrown function carrying a network code is not an outage', () => {
    expect(isInfrastructureError(Object.assign(() => {}, { code: 'ECONNREFUSED' }))).toBe(false);
  });
});

describe('isInfrastructureError: transaction rollbacks worth a retry', () => {
  it.each(['40P01', '40001'])('treats SQLSTATE %s (deadlock / serialization failure) as transient', (code) => {
    expect(isInfrastructureError(Object.assign(new Error('rolled back'), { code }))).toBe(true);
  });
});
