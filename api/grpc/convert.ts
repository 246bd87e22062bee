import { create, fromJson, ScalarType, toJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { anyPack, timestampFromDate, ValueSchema } from '@bufbuild/protobuf/wkt';
import type { z } from 'zod';
import { OperationSchema, type Operation } from '../../gen/modelregistry/v1/operations_pb';
import type { OperationView } from '../operations';
import { fieldIssues, ProblemError, validationFailure } from '../problem';
import type { Mutation } from '../services/mutation';
import { statusOf } from './errors';

/**
 * An answer object of the service layer as a message. The REST answers and the messages share
 * their JSON names (proto3 JSON), so the JSON form converts; what REST answers beyond the message
 * is left out, a null is an unset field.
 */
export function toMessage<D extends DescMessage>(schema: D, answer: unknown): MessageShape<D> {
  return fromJson(schema, JSON.parse(JSON.stringify(answer)) as JsonValue, { ignoreUnknownFields: true });
}

const INT64 = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64]);

/** proto3 JSON writes 64-bit integers as strings; REST's JSON (and its schemas) has numbers. */
function int64AsNumbers(schema: DescMessage, json: Record<string, unknown>): Record<string, unknown> {
  for (const field of schema.fields) {
    const value = json[field.jsonName];
    if (value === undefined) continue;
    if (field.fieldKind === 'scalar' && INT64.has(field.scalar) && typeof value === 'string') json[field.jsonName] = Number(value);
    if (field.fieldKind === 'message' && value && typeof value === 'object' && !Array.isArray(value)) int64AsNumbers(field.message, value as Record<string, unknown>);
    if (field.fieldKind === 'list' && field.listKind === 'message' && Array.isArray(value)) for (const item of value) int64AsNumbers(field.message, item as Record<string, unknown>);
  }
  return json;
}

/** A request message in JSON form, the fields it sets only: what REST's zod schemas parse as a body. */
export const requestJson = <D extends DescMessage>(schema: D, message: MessageShape<D>) => int64AsNumbers(schema, toJson(schema, message) as Record<string, unknown>);

/** AIP-158 names of REST's page parameters. */
const PAGE_FIELDS: Record<string, string> = { pageSize: 'limit', pageToken: 'cursor' };

/**
 * A list request as REST's query string would carry it (every value a string), for the same zod
 * query schema: `page_size` is `limit`, `page_token` is `cursor`.
 */
export function requestQuery<D extends DescMessage>(schema: D, message: MessageShape<D>): Record<string, string> {
  return Object.fromEntries(Object.entries(toJson(schema, message) as Record<string, unknown>).map(([k, v]) => [PAGE_FIELDS[k] ?? k, String(v)]));
}

/** Parses with a REST schema; a violation is the same 400 REST answers, its fields as REST names them under `target`. */
export function parseAs<S extends z.ZodType>(schema: S, value: unknown, target = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldIssues(target, result.error.issues);
  throw new ProblemError(validationFailure(errors));
}

/** AIP-158: an empty next_page_token ends the list. */
export const nextPageToken = (page: { nextCursor: string | null }) => page.nextCursor ?? '';

const timestamp = (iso: string | null) => (iso ? timestampFromDate(new Date(iso)) : undefined);

/** REST's operation resource as the Operation message; a result is a google.protobuf.Value of its JSON. */
export function operationMessage(view: OperationView): Operation {
  const done = view.status !== 'running';
  return create(OperationSchema, {
    id: view.id,
    kind: view.kind,
    done,
    metadata: {
      status: view.status,
      startTime: timestamp(view.startedAt),
      endTime: timestamp(view.closedAt),
      progress: view.progress === undefined ? undefined : fromJson(ValueSchema, JSON.parse(JSON.stringify(view.progress)) as JsonValue),
    },
    result: view.problem
      ? { case: 'error', value: statusOf(view.problem) }
      : done
        ? { case: 'response', value: anyPack(ValueSchema, fromJson(ValueSchema, JSON.parse(JSON.stringify(view.result ?? null)) as JsonValue)) }
        : { case: undefined },
  });
}

/** A mutation's answer: done with the RPC's typed message packed in `response`, or the running operation. */
export function mutationMessage<T, D extends DescMessage>(mutation: Mutation<T>, schema: D, answer: (value: T) => unknown = (v) => v): Operation {
  if (!mutation.done) return operationMessage(mutation.operation);
  return create(OperationSchema, {
    id: mutation.operationId,
    kind: mutation.kind,
    done: true,
    metadata: { status: 'completed' },
    result: { case: 'response', value: anyPack(schema, toMessage(schema, answer(mutation.value))) },
  });
}
