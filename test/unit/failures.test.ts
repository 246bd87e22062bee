import { NetworkError as KeycloakNetworkError } from '@keycloak/keycloak-admin-client';
import { NetworkError as KafkaNetworkError, ResponseError, TimeoutError } from '@platformatic/kafka';
import { ApplicationFailure } from '@temporalio/common';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../lib/failures';

const SECRET = 'value-from-the-request';

/** A server error as postgres.js raises it, inside Drizzle's wrapper that quotes query and parameters. */
const pgError = (fields: Record<string, string>) =>
  new DrizzleQueryError('insert into "t" values ($1)', [SECRET], Object.assign(new postgres.PostgresError({ message: `bad value "${SECRET}"`, detail: `Key (name)=(${SECRET})`, ...fields } as never), { query: 'insert', parameters: [SECRET] }));

const classify = (err: unknown) => {
  const failure = toActivityFailure(err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  const f = failure as ApplicationFailure;
  expect(JSON.stringify({ message: f.message, details: f.details, cause: f.cause })).not.toContain(SECRET);
  expect(f.cause).toBeUndefined();
  return { type: f.type, nonRetryable: f.nonRetryable, message: f.message };
};

describe('activity failure classification', () => {
  it('PostgreSQL data and integrity errors are non-retryable, named by SQLSTATE and schema object only', () => {
    expect(classify(pgError({ code: '22021' }))).toEqual({ type: 'DataRejected', nonRetryable: true, message: 'PostgreSQL 22021 character_not_in_repertoire' });
    expect(classify(pgError({ code: '23505', table_name: 'tenants', constraint_name: 'tenants_name_unique' }))).toEqual({
      type: 'DataRejected', nonRetryable: true, message: 'PostgreSQL 23505 unique_violation (table tenants, constraint tenants_name_unique)',
    });
    expect(classify(pgError({ code: '22P02' })).message).toBe('PostgreSQL 22P02 invalid_text_representation');
  });

  it('connection, serialization, deadlock, shutdown and resource errors stay retryable', () => {
    for (const code of ['08006', '40001', '40P01', '57P01', '53300']) expect(classify(pgError({ code })).nonRetryable).toBe(false);
    const closed = Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });
    expect(classify(new DrizzleQueryError('select 1', [SECRET], closed))).toEqual({ type: 'DatabaseUnavailable', nonRetryable: false, message: 'PostgreSQL unavailable: CONNECTION_CLOSED' });
  });

  it('Keycloak: a 4xx but 408/429 is non-retryable; its body (which may echo the request) is not kept', () => {
    const answer = (status: number) => new KeycloakNetworkError(`${SECRET} exists`, { response: new Response(null, { status }), responseData: { errorMessage: `User ${SECRET} exists` } });
    expect(classify(answer(409))).toMatchObject({ type: 'KeycloakRejected', nonRetryable: true, message: 'Keycloak answered 409' });
    for (const status of [408, 429, 503]) expect(classify(answer(status))).toMatchObject({ type: 'KeycloakUnavailable', nonRetryable: false });
  });

  it('Kafka: what the broker says cannot succeed is non-retryable; network and time-outs are retried', () => {
    expect(classify(new ResponseError(0, 9, { '/topics/0/partitions/0': [10, null] }, undefined))).toEqual({ type: 'KafkaRejected', nonRetryable: true, message: 'Kafka: MESSAGE_TOO_LARGE' });
    expect(classify(new ResponseError(0, 9, { '/topics/0/partitions/0': [6, null] }, undefined))).toMatchObject({ type: 'KafkaUnavailable', nonRetryable: false });
    expect(classify(new KafkaNetworkError('Connection closed'))).toMatchObject({ type: 'KafkaUnavailable', nonRetryable: false });
    expect(classify(new TimeoutError('Request timed out'))).toMatchObject({ type: 'KafkaUnavailable', nonRetryable: false });
  });

  it('leaves typed failures and other errors as they are', () => {
    const typed = ApplicationFailure.create({ type: 'NotFound', message: 'gone', nonRetryable: true });
    expect(toActivityFailure(typed)).toBe(typed);
    const other = new Error('something else');
    expect(toActivityFailure(other)).toBe(other);
  });
});
