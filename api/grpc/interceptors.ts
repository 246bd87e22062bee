import { randomUUID } from 'node:crypto';
import type { DescMessage } from '@bufbuild/protobuf';
import { toJson } from '@bufbuild/protobuf';
import { Code, ConnectError, type Interceptor, type StreamRequest, type UnaryRequest } from '@connectrpc/connect';
import type { Client } from '@temporalio/client';
import type { Logger } from '../../lib/logger';
import type { Authorizer, RequestView } from '../auth/middleware';
import type { RoutePolicy } from '../auth/route-policies';
import { nulPath } from '../../lib/text';
import { controlCharacterFailure, ProblemError, validationFailure } from '../problem';
import { unavailableProblem, withinDeadlines } from '../unavailable';
import { authKey } from './context';
import { problemError } from './errors';

export const rpcKeyOf = (req: { service: { typeName: string }; method: { name: string } }) => `/${req.service.typeName}/${req.method.name}`;

/** The canonical name of a code (INVALID_ARGUMENT), as gRPC tools print it. */
const codeName = (code: Code) => Code[code].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

/** The same ids as hono/request-id: the caller's `x-request-id` when it is a plain token, else a new one. */
const REQUEST_ID = /^[\w\-=]{1,255}$/;

/**
 * Outermost: a request id (answered in `x-request-id`) and the request log line REST writes
 * (`request` with requestId, method, path, status, ms), the status a gRPC code name.
 */
export function requestLog(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const given = req.header.get('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    const log = (status: string) =>
      logger.info({ requestId, method: req.requestMethod, path: rpcKeyOf(req), status, ms: Math.round(performance.now() - started), transport: 'grpc' }, 'request');
    try {
      const res = await next(req);
      res.header.set('x-request-id', requestId);
      if (!res.stream) {
        log('OK');
        return res;
      }
      // A stream's status is known when it ends.
      const messages = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* messages;
            log('OK');
          } catch (err) {
            log(codeName(ConnectError.from(err).code));
            throw err;
          }
        })(),
      };
    } catch (err) {
      const error = ConnectError.from(err);
      error.metadata.set('x-request-id', requestId);
      log(codeName(error.code));
      throw error;
    }
  };
}

/** An RPC within the deadlines a REST request has (api/unavailable.ts): its Temporal calls', and its answer's. */
export function deadlines(client: Client, mutationWaitMs: number): Interceptor {
  return (next) => (req) => withinDeadlines(client, mutationWaitMs, () => next(req));
}

/**
 * Problems as gRPC statuses (api/grpc/errors.ts) and anything unexpected as INTERNAL naming the
 * request id, never UNKNOWN; in streams too.
 */
export function problemsAsStatuses(logger: Logger): Interceptor {
  const convert = (err: unknown, input: DescMessage, rpc: string, clientGone: boolean): ConnectError => {
    if (err instanceof ProblemError) return problemError(err.problem, input, err.headers);
    if (err instanceof ConnectError) return err;
    const unavailable = unavailableProblem(err);
    if (unavailable) {
      logger.warn({ err: (err as Error).message, rpc }, 'a system the request needs is not answering');
      return problemError(unavailable, input);
    }
    // The client went away mid-stream (grpcurl ends reflection's stream so): nothing went wrong here.
    if (clientGone && (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return new ConnectError('the client closed the stream', Code.Canceled);
    logger.error({ err, rpc }, 'unhandled error');
    return new ConnectError('Internal server error', Code.Internal);
  };
  return (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) return res;
      const messages = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* messages;
          } catch (err) {
            throw convert(err, req.method.input, rpcKeyOf(req), req.signal.aborted);
          }
        })(),
      };
    } catch (err) {
      throw convert(err, req.method.input, rpcKeyOf(req), req.signal.aborted);
    }
  };
}

/** What a policy's resource source reads: request fields by their JSON names (`tenantId`, `registry`). */
function messageView(input: DescMessage, message: unknown): RequestView {
  const json = toJson(input, message as never) as Record<string, unknown>;
  const field = (name: string) => {
    const value = json[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  return { param: field, query: field, body: async () => json };
}

/**
 * Authentication (`authorization: Bearer <JWT>` metadata, the REST verifier) and the PBAC decision
 * of the RPC's entry in RPC_POLICIES, as api/auth/middleware.ts decides for REST. A server-streaming
 * request is decided on its one message.
 */
export function authorization(authorizer: Authorizer, policies: Record<string, RoutePolicy | 'public'>): Interceptor {
  return (next) => async (req) => {
    const policy = policies[rpcKeyOf(req)];
    // The server checks the table against its services at start: this is a bug, not the caller's.
    if (!policy) throw new ConnectError(`${rpcKeyOf(req)} declares no PBAC action`, Code.Internal);
    if (policy === 'public') return next(req);
    const authentication = await authorizer.authenticate(req.header.get('authorization'));
    if ('problem' in authentication) throw new ProblemError(authentication.problem, authentication.headers);
    const auth = authorizer.contextFor(authentication.principal);
    req.contextValues.set(authKey, auth);
    return next(
      await checkedFirst(req, async (message) => {
        const view = messageView(req.method.input, message);
        // The field that names the resource (REST's path parameter, never empty there): empty names nothing to look up.
        const source = policy.resource;
        if ('param' in source && view.param(source.param) === undefined) {
          const field = `body.${source.param}`;
          throw new ProblemError(validationFailure([{ field, message: 'required', code: 'too_small' }]));
        }
        const problem = await authorizer.authorize(auth, policy, view);
        if (problem) throw new ProblemError(problem);
      }),
    );
  };
}

/** The request after `check` passed its message, or a stream's first message (a server-streaming RPC's one). */
async function checkedFirst(req: UnaryRequest | StreamRequest, check: (message: unknown) => Promise<void> | void): Promise<UnaryRequest | StreamRequest> {
  if (!req.stream) {
    await check(req.message);
    return req;
  }
  const iterator = req.message[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (!first.done) await check(first.value);
  const message = (async function* () {
    if (first.done) return;
    yield first.value;
    for (let item = await iterator.next(); !item.done; item = await iterator.next()) yield item.value;
  })();
  return { ...req, message };
}

/**
 * An `update_mask` path that names no field of the request (AIP-134) is INVALID_ARGUMENT naming
 * `update_mask`; it was ignored, so a typo changed nothing and said nothing.
 */
export function knownMaskPaths(): Interceptor {
  return (next) => async (req) => {
    const mask = req.method.input.fields.find((f) => f.name === 'update_mask');
    if (mask && !req.stream) {
      const paths = ((req.message as Record<string, unknown>)[mask.localName] as { paths?: string[] } | undefined)?.paths ?? [];
      const unknown = paths.filter((p) => !req.method.input.fields.some((f) => f.name === p && f !== mask));
      if (unknown.length > 0) {
        const message = `names no field of ${req.method.input.name}: ${unknown.join(', ')}`;
        throw new ProblemError(validationFailure([{ field: 'body.updateMask', message, code: 'invalid_value' }]));
      }
    }
    return next(req);
  };
}

/**
 * A NUL anywhere in a request is INVALID_ARGUMENT naming the field, before anything reads it, as REST's
 * 400 for control characters: PostgreSQL refuses NUL in text, so one that reached a query was INTERNAL.
 */
export function nulFree(): Interceptor {
  return (next) => async (req) =>
    next(
      await checkedFirst(req, (message) => {
        // The same walk as the webhook receiver's (`members.0.group`), a field of the request's body.
        const at = nulPath(toJson(req.method.input, message as never));
        if (at !== undefined) throw new ProblemError(controlCharacterFailure(`body.${at}`));
      }),
    );
}
