import { create, type DescMessage } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { BadRequestSchema } from '../../gen/google/rpc/error_details_pb';
import { StatusSchema, type Status } from '../../gen/google/rpc/status_pb';
import { FailureType, grpcCodeOf } from '../../lib/failure-types';
import { failureProblemType } from '../operations';
import type { FieldIssue, Problem } from '../problem';

const CODES_BY_NAME: Record<string, Code> = {
  INVALID_ARGUMENT: Code.InvalidArgument,
  NOT_FOUND: Code.NotFound,
  ALREADY_EXISTS: Code.AlreadyExists,
  FAILED_PRECONDITION: Code.FailedPrecondition,
  UNAVAILABLE: Code.Unavailable,
  INTERNAL: Code.Internal,
};

const CODES_BY_STATUS: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.FailedPrecondition,
  412: Code.FailedPrecondition,
  413: Code.ResourceExhausted,
  415: Code.InvalidArgument,
  422: Code.InvalidArgument,
  429: Code.ResourceExhausted,
  502: Code.Unavailable,
  503: Code.Unavailable,
  504: Code.Unavailable,
};

/** failureToProblem's slugs, by failure type. */
const FAILURE_SLUGS = new Map(Object.keys(FailureType).map((t) => [failureProblemType(t).slug, t]));

const slugOf = (p: Problem) => p.type.slice(p.type.lastIndexOf('/') + 1);

/**
 * The gRPC code of a problem: by the one table of failure types (lib/failure-types.ts), whether a
 * workflow's failure or a request's problem of the same type (`conflict`: ALREADY_EXISTS, it
 * exists; `failed-precondition`: FAILED_PRECONDITION, in use or already running, REST's 409 both),
 * another operation on the resource ABORTED (retry later), else by the HTTP status; INTERNAL for
 * anything unlisted, never UNKNOWN.
 */
export function codeOf(p: Problem): Code {
  const slug = slugOf(p);
  const named = grpcCodeOf(FAILURE_SLUGS.get(slug));
  if (named) return CODES_BY_NAME[named] ?? Code.Internal;
  if (slug === 'operation-in-progress') return Code.Aborted;
  return CODES_BY_STATUS[p.status] ?? Code.Internal;
}

/**
 * REST's field (`body.display_name`, `query.limit`) as the request message's field path
 * (`display_name`, `page_size`): the first segment (body, query, param, header) goes, each
 * segment is matched to a field by its JSON or proto name and written with its proto name;
 * map keys and list indexes stay as they are, and the fields of a list's or map's messages are matched too.
 */
export function fieldPathOf(field: string, request: DescMessage | undefined): string {
  const [target, ...rest] = field.split('.');
  if (target === 'header') return rest.join('.'); // metadata, e.g. idempotency-key
  let message = request;
  // After a list or map field: the next segment is an index or key, and the one after names a field of its element.
  let element = false;
  const out: string[] = [];
  for (const segment of rest) {
    if (element) {
      out.push(segment);
      element = false;
      continue;
    }
    const name = segment === 'limit' && message === request ? 'pageSize' : segment === 'cursor' && message === request ? 'pageToken' : segment;
    const f = message?.fields.find((x) => x.jsonName === name || x.name === name || x.localName === name);
    if (!f) {
      out.push(segment);
      message = undefined;
      continue;
    }
    out.push(f.name);
    element = f.fieldKind === 'list' || f.fieldKind === 'map';
    message = f.message;
  }
  return out.join('.');
}

/**
 * A problem with the whole body (REST's `body`: an update that sets nothing) is, in a request with an
 * `update_mask`, a problem with that mask (AIP-134): it names nothing to change.
 */
const wholeRequestField = (request: DescMessage | undefined) => (request?.fields.some((f) => f.name === 'update_mask') ? 'update_mask' : '');

const violations = (errors: FieldIssue[] | undefined, request: DescMessage | undefined) =>
  (errors ?? []).map((e) => ({ field: fieldPathOf(e.field, request) || wholeRequestField(request), description: e.message, reason: e.code }));

/** A problem as a ConnectError: its code, the detail as message, field violations as a google.rpc.BadRequest detail. */
export function problemError(p: Problem, request: DescMessage | undefined, metadata: Record<string, string> = {}, extraDetails: NonNullable<ConstructorParameters<typeof ConnectError>[3]> = []): ConnectError {
  const code = codeOf(p);
  const fieldViolations = code === Code.InvalidArgument ? violations(p.errors, request) : [];
  const details = code === Code.InvalidArgument ? [{ desc: BadRequestSchema, value: { fieldViolations } }] : [];
  // The message names the request message's fields, as the violations do, not REST's `body.…`.
  const message = fieldViolations.length > 0 ? `${p.title}: ${fieldViolations.map((v) => `${v.field}: ${v.description}`).join('; ')}` : p.detail ? `${p.title}: ${p.detail}` : p.title;
  return new ConnectError(message, code, { 'problem-type': p.type, ...metadata }, [...details, ...extraDetails]);
}

/** A problem as the google.rpc.Status of a failed Operation. */
export function statusOf(p: Problem): Status {
  const code = codeOf(p);
  const details = code === Code.InvalidArgument ? [anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: violations(p.errors, undefined) }))] : [];
  return create(StatusSchema, { code, message: p.detail ? `${p.title}: ${p.detail}` : p.title, details });
}
