import type { Context, Handler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { EmulatorClock } from './clock';
import type { Faults } from './faults';
import type { BackgroundJobs } from './jobs';
import type { OciReader } from './oci';
import type { Replicator } from './replication';
import type { EmulatorState } from './state';
import type { ResponseValidator, ResponseViolation } from './validate';
import type { WebhookSender } from './webhooks';

export interface EmulatorContext {
  state: EmulatorState;
  oci: OciReader;
  faults: Faults;
  webhooks: WebhookSender;
  /** host:port users push to (the emulator's own /v2 endpoint). */
  registryAddress: () => string;
  validate: ResponseValidator;
  violations: ResponseViolation[];
  mode: 'throw' | 'record';
  /** How long the simulated scanner takes. */
  scanDelayMs: number;
  replication: Replicator;
  /** The time artifacts age by (tests move it forward). */
  clock: EmulatorClock;
  /** Retention and GC executions running after their request was answered. */
  jobs: BackgroundJobs;
  /** Harbor's async pull-time flush (ARTIFACT_PULL_ASYNC_FLUSH_DURATION); 0: written at the pull. */
  pullTimeFlushMs: number;
  /** Harbor's GC `time_window`: blobs pushed less than this long ago are not collected. */
  gcTimeWindowHours: number;
  /** The job service's credentials for /v2/ (replication writing into this Harbor), as the admin's. */
  jobservice: { username: string; password: string };
}

export class ResponseViolationError extends Error {
  constructor(readonly violation: ResponseViolation) {
    super(`Harbor emulator response for ${violation.operationId} ${violation.status} violates Harbor's API definition: ${violation.errors}`);
  }
}

export class HarborError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new HarborError(404, 'NOT_FOUND', message);
export const conflict = (message: string) => new HarborError(409, 'CONFLICT', message);
export const badRequest = (message: string) => new HarborError(400, 'BAD_REQUEST', message);

export const now = () => new Date().toISOString();

/** Harbor's project name rule (src/common/utils: `^[a-z0-9]+(?:[._-][a-z0-9]+)*$`, at most 255). */
export const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Wraps an operation's handler: injected latency and failures first, Harbor's error body for
 * HarborError, and every JSON body checked against the definition's schema for that status.
 */
export function operation(ctx: EmulatorContext, operationId: string, handler: (c: Context) => Promise<Reply> | Reply): Handler {
  return async (c) => {
    if (ctx.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, ctx.faults.latencyMs));
    let reply: Reply;
    const failure = ctx.faults.takeFailure(operationId);
    if (failure) {
      reply = {
        status: failure.status,
        body: { errors: [{ code: failure.status === 429 ? 'TOO_MANY_REQUESTS' : 'UNKNOWN', message: `injected failure ${failure.status}` }] },
        headers: failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) },
      };
    } else {
      try {
        reply = await handler(c);
      } catch (err) {
        if (!(err instanceof HarborError)) throw err;
        reply = { status: err.status, body: { errors: [{ code: err.code, message: err.message }] } };
      }
    }
    const delay = ctx.faults.takeDelay(operationId);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (reply.body !== undefined && typeof reply.body !== 'string') {
      const violation = ctx.validate(operationId, reply.status, reply.body);
      if (violation) {
        ctx.violations.push(violation);
        if (ctx.mode === 'throw') throw new ResponseViolationError(violation);
      }
    }
    const headers = { 'x-request-id': crypto.randomUUID(), ...reply.headers };
    if (reply.body === undefined) return c.body(null, reply.status as ContentfulStatusCode, headers);
    if (typeof reply.body === 'string') return c.text(reply.body, reply.status as ContentfulStatusCode, headers);
    return c.json(reply.body, reply.status as ContentfulStatusCode, headers);
  };
}

/** `X-Total-Count` and Harbor's RFC 5988 `Link` header for a page of a list. */
export function paged<T>(c: Context, items: T[]): Reply {
  const page = Math.max(1, Number(c.req.query('page') ?? 1));
  const pageSize = Math.min(100, Math.max(1, Number(c.req.query('page_size') ?? 10)));
  const slice = items.slice((page - 1) * pageSize, page * pageSize);
  const links: string[] = [];
  const url = new URL(c.req.url);
  const linkTo = (p: number) => {
    url.searchParams.set('page', String(p));
    url.searchParams.set('page_size', String(pageSize));
    return `<${url.pathname}${url.search}>`;
  };
  if (page > 1) links.push(`${linkTo(page - 1)}; rel="prev"`);
  if (page * pageSize < items.length) links.push(`${linkTo(page + 1)}; rel="next"`);
  return { status: 200, body: slice, headers: { 'x-total-count': String(items.length), ...(links.length ? { link: links.join(' , ') } : {}) } };
}

/** Harbor resolves `{project_name_or_id}` as a name when `X-Is-Resource-Name: true` or when it is not numeric. */
export const isNameHeader = (c: Context) => c.req.header('x-is-resource-name') === 'true';
