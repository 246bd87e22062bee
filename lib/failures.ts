import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { FailureType } from './failure-types';

/** Condition names of the SQLSTATEs worth naming (PostgreSQL manual, appendix A). */
const CONDITIONS: Record<string, string> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '23P01': 'exclusion_violation',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '53300': 'too_many_connections',
  '55P03': 'lock_not_available',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
};

/** postgres.js's own codes for a connection that failed or went away, and the socket errors under them. */
const CONNECTION_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The error and its causes, outermost first. */
function* chain(err: unknown): Generator<Fields> {
  for (let e: unknown = err, depth = 0; isObject(e) && depth < 10; e = e.cause, depth++) yield e;
}

/**
 * A PostgreSQL error as a failure: SQLSTATE, condition and the schema object it names, never the
 * server's message or detail (they quote values) nor the query's parameters. Classes 22 (data)
 * and 23 (integrity) are non-retryable: code that expects a conflict catches it before it gets
 * here. Connection (08), transaction rollback (40), resources (53), lock and shutdown (55, 57)
 * are retried, and so is the rest (a missing relation or column is fixed by a migration).
 */
function postgresFailure(e: Fields): ApplicationFailure {
  const code = str(e.code)!;
  const where = [str(e.table_name) && `table ${e.table_name}`, str(e.column_name) && `column ${e.column_name}`, str(e.constraint_name) && `constraint ${e.constraint_name}`].filter(Boolean).join(', ');
  const message = `PostgreSQL ${code} ${CONDITIONS[code] ?? 'error'}${where ? ` (${where})` : ''}`;
  const dataClass = code.startsWith('22') || code.startsWith('23');
  if (dataClass) return ApplicationFailure.create({ type: FailureType.DataRejected, message, nonRetryable: true, details: [{ sqlstate: code }] });
  const unavailable = /^(08|53|57)/.test(code);
  return ApplicationFailure.create({ type: unavailable ? FailureType.DatabaseUnavailable : FailureType.DatabaseError, message, nonRetryable: false, details: [{ sqlstate: code }] });
}

const isPostgresError = (e: Fields) => e.name === 'PostgresError' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
/** Drizzle's wrapper (`Failed query: … params: …`) and postgres.js's own errors carry the query. */
const isQueryError = (e: Fields) => typeof e.query === 'string' && (Array.isArray(e.params) || Array.isArray(e.parameters));

function databaseFailure(err: unknown): ApplicationFailure | undefined {
  const errors = [...chain(err)];
  const pg = errors.find(isPostgresError);
  if (pg) return postgresFailure(pg);
  if (!errors.some(isQueryError)) return undefined;
  const code = errors.map((e) => str(e.code)).find(Boolean);
  if (code && CONNECTION_CODES.has(code)) return ApplicationFailure.create({ type: FailureType.DatabaseUnavailable, message: `PostgreSQL unavailable: ${code}`, nonRetryable: false });
  return ApplicationFailure.create({ type: FailureType.DatabaseError, message: `PostgreSQL query failed${code ? `: ${code}` : ''}`, nonRetryable: false });
}

/** PostgreSQL could not be reached or would not serve (a connection refused, lost or timed out; SQLSTATE classes 08, 53, 57). */
export const isDatabaseUnavailable = (err: unknown) => databaseFailure(err)?.type === FailureType.DatabaseUnavailable;

/** A 4xx other than 408 and 429 is the request's fault: sending it again cannot help. */
export const isPermanentHttpStatus = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

/** The admin client's NetworkError: Keycloak answered with an error status. Its body may echo the request, so only the status is kept. */
function keycloakFailure(err: unknown): ApplicationFailure | undefined {
  if (!isObject(err) || !('responseData' in err) || !isObject(err.response) || typeof err.response.status !== 'number') return undefined;
  const status = err.response.status;
  const message = `Keycloak answered ${status} ${str(err.response.statusText) ?? ''}`.trim();
  return isPermanentHttpStatus(status)
    ? ApplicationFailure.create({ type: FailureType.KeycloakRejected, message, nonRetryable: true, details: [{ keycloakStatus: status }] })
    : ApplicationFailure.create({ type: FailureType.KeycloakUnavailable, message, nonRetryable: false, details: [{ keycloakStatus: status }] });
}

/**
 * @platformatic/kafka's errors (`PLT_KFK_*`); a broker's answer comes as protocol errors inside a
 * MultipleErrors. Non-retryable when the broker says a retry cannot succeed (a record too large,
 * an invalid topic, no authorization) or the client refused its arguments; network, timeout and
 * leadership errors are retried.
 */
function kafkaFailure(err: unknown): ApplicationFailure | undefined {
  if (!isObject(err) || typeof err.code !== 'string' || !err.code.startsWith('PLT_KFK_')) return undefined;
  const leaves: Fields[] = [];
  const collect = (e: Fields) => (Array.isArray(e.errors) && e.errors.length > 0 ? e.errors.filter(isObject).forEach(collect) : leaves.push(e));
  collect(err);
  const permanent = leaves.filter((e) => (e.code === 'PLT_KFK_PROTOCOL' && e.canRetry === false) || e.code === 'PLT_KFK_USER');
  const names = [...new Set(leaves.map((e) => str(e.apiId) ?? str(e.code)))].join(', ');
  const message = `Kafka: ${names}`;
  return permanent.length > 0
    ? ApplicationFailure.create({ type: FailureType.KafkaRejected, message, nonRetryable: true })
    : ApplicationFailure.create({ type: FailureType.KafkaUnavailable, message, nonRetryable: false });
}

/**
 * What an activity's error becomes before Temporal records it: a failure of PostgreSQL, Keycloak
 * or Kafka turns into an ApplicationFailure that says whether a retry can help, with a short
 * message and no cause (a cause would carry the query, its parameters or the request into the
 * history and the worker's log). Failures already typed, and other errors, pass unchanged.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof TemporalFailure) return err;
  return databaseFailure(err) ?? keycloakFailure(err) ?? kafkaFailure(err) ?? err;
}
