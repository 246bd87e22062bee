import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CONTROL_CHARACTER_MESSAGE } from '../lib/text';

/** One field-level issue, `path` in JSON-pointer-ish dotted form (`body.name`, `query.limit`). */
export interface FieldIssue {
  field: string;
  message: string;
  code: string;
}

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldIssue[];
  [extension: string]: unknown;
}

const TYPE_BASE = 'https://model-registry.dev/problems/';

/** What a 503 for a system that is not answering tells the client: when to try again. */
export const RETRY_AFTER = { 'retry-after': '5' };

export function problemBody(status: number, slug: string, title: string, detail?: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `${TYPE_BASE}${slug}`, title, status, ...(detail === undefined ? {} : { detail }), ...extra };
}

/**
 * Typed as `never` so route handlers may return it whatever their declared success schema:
 * every route documents its problem responses separately.
 */
export function problemResponse(c: Context, p: Problem, headers: Record<string, string> = {}): never {
  return c.body(JSON.stringify({ ...p, instance: p.instance ?? c.req.path }), p.status as ContentfulStatusCode, {
    'content-type': 'application/problem+json',
    ...headers,
  }) as never;
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
  code: string;
}

export function fieldIssues(target: string, issues: readonly ZodLikeIssue[]): FieldIssue[] {
  return issues.map((i) => ({
    field: [target, ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
}

/** The `defaultHook` of every OpenAPIHono router: zod failures become a 400 naming each field. */
export function validationHook(
  result: { success: true } | { success: false; error: { issues: readonly ZodLikeIssue[] }; target?: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const issues = fieldIssues(result.target === 'json' ? 'body' : (result.target ?? 'request'), result.error.issues);
  if (result.target !== 'query') return validationProblem(c, issues);
  // No query parameter is a list: one given twice arrives as one, and zod's "received NaN" for it says nothing.
  return validationProblem(
    c,
    issues.map((issue, i) => {
      const times = c.req.queries(String(result.error.issues[i]!.path[0]))?.length ?? 0;
      return times > 1 ? { ...issue, message: `given ${times} times; give it once`, code: 'repeated' } : issue;
    }),
  );
}

/** The 400 of a request that failed validation, each field named (gRPC: a field violation each). */
export const validationFailure = (errors: FieldIssue[]): Problem =>
  problemBody(400, 'validation', 'Request validation failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

/** The 400 of a control character met before validation (a lookup's name, a NUL in a gRPC request): the words zod's `singleLine` gives. */
export const controlCharacterFailure = (field: string): Problem => validationFailure([{ field, message: CONTROL_CHARACTER_MESSAGE, code: 'invalid_format' }]);

/** The same 400 for a rule zod cannot check alone, e.g. one spanning the path and the body. */
export function validationProblem(c: Context, errors: FieldIssue[]): never {
  return problemResponse(c, validationFailure(errors));
}

/** A problem raised inside a handler's helper; the app answers it as if the handler had returned it. */
export class ProblemError extends Error {
  /** `headers`: what REST sends with it (the operation's id or Location); gRPC puts them in trailers. */
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
  }
}

/** 400 for a registry address that is not one of the managed Harbor instances. */
export const unknownRegistry = (registries: readonly string[], requested: string | undefined, field: string): Problem =>
  problemBody(400, 'validation', 'Unknown registry', `${field}: "${requested ?? ''}" is not a managed Harbor instance`, {
    errors: [{ field, message: `must be one of: ${registries.join(', ')}`, code: 'invalid_value' }],
  });

/** 404: the thing asked for does not exist (or the caller may not know it does). */
export const notFoundProblem = (c: Context, title: string, detail: string): never => problemResponse(c, problemBody(404, 'not-found', title, detail));

/** 409: the request conflicts with what exists; `extra` says with what. */
export const conflictProblem = (c: Context, title: string, detail: string, extra: Record<string, unknown> = {}): never =>
  problemResponse(c, problemBody(409, 'conflict', title, detail, extra));

/** 400 for a `cursor` this API did not hand out. */
export const invalidCursor = (): Problem =>
  problemBody(400, 'validation', 'Invalid cursor', 'query.cursor: not a cursor from this API', {
    errors: [{ field: 'query.cursor', message: 'not a cursor from this API', code: 'invalid_value' }],
  });
/**
 * 422 for a caller's Idempotency-Key that came with another request (another body) than the one it first
 * started, as the IETF's Idempotency-Key draft says: joining would answer with that request's result.
 * (Keys are scoped to the caller, api/auth/context.ts: another caller's same key is a request of its own.)
 */
export const idempotencyKeyReused = (): Problem =>
  problemBody(422, 'idempotency-key-reused', 'Idempotency-Key reused for another request', 'header.idempotency-key: this key was sent with a different request; use a new key for a new request', {
    errors: [{ field: 'header.idempotency-key', message: 'was sent with a different request body', code: 'invalid_value' }],
  });
export const invalidCursorProblem = (c: Context): never => problemResponse(c, invalidCursor());

/** 503 for a route whose backing system is not configured in this deployment (e.g. the light stack). */
export const notConfigured = (system: string, variables: string): Problem =>
  problemBody(503, 'not-configured', `${system} is not configured`, `set ${variables} to use this route`);
