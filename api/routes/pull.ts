import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import { writeFileRange } from '../../lib/file-range';
import type { Logger } from '../../lib/logger';
import { ociError, REPOSITORY_NAME, SHA256_DIGEST, TAG, type OciError } from '../../lib/oci-distribution';
import type { PullTarget } from '../../db/cache-entries';
import type { Db } from '../../db/client';
import { findPullTokenGrant, notePullTokenUsed, type PullTokenGrant } from '../../db/pull-token-grants';
import { pullTokenHash } from '../../lib/pull-token-secret';
import { isPullToken } from '../../lib/pull-tokens';
import { errorResponse, type PullResponse, type PullService } from '../../registry-proxy';
import { SERVICE_NAME } from '../auth/actions';
import type { AuthDeps } from '../auth/middleware';
import type { Metrics } from '../metrics';
import { principalFromClaims, type Principal } from '../auth/principal';
import { InvalidToken, IssuerUnavailable } from '../auth/verifier';
import { RETRY_AFTER } from '../problem';
import { unavailableProblem } from '../unavailable';

const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' };
/** Clients log in with Basic (any username, the password a JWT of this service or a pull token) or send the token as Bearer. */
const CHALLENGE = 'Basic realm="model-registry"';

const CONTENT = /^\/v2\/([^/]+)\/([^/]+)\/(.+)\/(manifests|blobs)\/([^/]+)$/;
const TAGS = /^\/v2\/([^/]+)\/([^/]+)\/(.+)\/tags\/list$/;

/** The token a request carries: `Authorization: Bearer <token>`, or the password of `Basic` (the username is not checked). */
function tokenOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header)?.[1];
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}

/**
 * Sends an answer. A blob is written straight into Node's response when the server hands it over
 * (`c.env.outgoing`, @hono/node-server): no web-stream bridge, no copy per chunk. A cached file is
 * written through a few reused buffers (lib/file-range.ts), a miss's stream piped; either way the
 * body (the file, or the miss's client side) is let go when the client goes away, and the connection
 * is cut when the body fails (a digest mismatch). Anything else, and every answer of `app.request()`
 * (no server), goes through a web Response.
 */
function send(c: Context, answer: PullResponse): Response {
  const headers = { ...answer.headers, ...API_VERSION };
  const { body } = answer;
  if (c.req.method === 'HEAD' || body === undefined) {
    if (body instanceof Readable) body.destroy();
    else if (body && !Buffer.isBuffer(body)) void body.handle.close();
    return new Response(null, { status: answer.status, headers });
  }
  if (Buffer.isBuffer(body)) return new Response(new Uint8Array(body.buffer, body.byteOffset, body.length), { status: answer.status, headers });
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  if (!outgoing) {
    const stream = body instanceof Readable ? body : body.handle.createReadStream({ start: body.start, end: body.end });
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status: answer.status, headers });
  }
  outgoing.writeHead(answer.status, headers);
  // A failed or aborted transfer cuts the connection; the cause (a mismatch) is logged where it is known.
  if (body instanceof Readable) pipeline(body, outgoing).catch(() => undefined);
  else writeFileRange(body, outgoing).catch(() => outgoing.destroy());
  return RESPONSE_ALREADY_SENT;
}

/** Who pulls: a user of the service (a JWT, PBAC decides) or a pull token (models.read in its tenant only). */
type Caller = { principal: Principal } | { pullToken: PullTokenGrant };

const fail = (c: Context, e: OciError, headers: Record<string, string> = {}) => {
  const answer = errorResponse(e);
  return send(c, { ...answer, headers: { ...answer.headers, ...headers } });
};

const unknownRegistry = (c: Context, tenant: string, registry: string) => fail(c, ociError(404, 'NAME_UNKNOWN', `no virtual registry "${registry}" in tenant ${tenant}`));

/**
 * The virtual registries' pull endpoint (issue #16), read-only OCI distribution outside the OpenAPI
 * document: `GET /v2/`, and under `/v2/<tenant>/<virtual registry>/<name>`: `manifests/<reference>`,
 * `blobs/<digest>` (GET/HEAD) and `tags/list`. The caller (a user's JWT, or a pull token of the tenant)
 * needs `models.read` in the tenant; one who may not even see the tenant gets the same `NAME_UNKNOWN` as
 * for a registry that does not exist.
 */
export function createPullRouter(deps: { auth: AuthDeps; pull: PullService; logger: Logger; db: Db; metrics: Pick<Metrics, 'pullCache'> }) {
  const router = new Hono();
  // Failures in the spec's error format, which OCI clients show (problem+json they do not read): PostgreSQL
  // not answering is a 503 a client retries; anything unexpected is distribution's 500 UNKNOWN.
  router.onError((err, c) => {
    const unavailable = unavailableProblem(err);
    if (unavailable) {
      deps.logger.warn({ err: err.message, path: c.req.path }, 'a system the pull needs is not answering');
      return fail(c, ociError(503, 'UNAVAILABLE', `${unavailable.title}; retry later`), RETRY_AFTER);
    }
    deps.logger.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return fail(c, ociError(500, 'UNKNOWN', `internal error, request id ${c.get('requestId')}`));
  });
  /** Sends a manifest's or blob's answer, counting where it came from (its X-Cache) for the cache's hit ratio. */
  const sendContent = (c: Context, kind: 'manifest' | 'blob', answer: PullResponse) => {
    const outcome = answer.headers['x-cache'];
    if (outcome) deps.metrics.pullCache.inc({ method: c.req.method, kind, outcome });
    return send(c, answer);
  };
  const notAccepted = (c: Context, why: string) => fail(c, ociError(401, 'UNAUTHORIZED', `the token is not accepted: ${why}`), { 'www-authenticate': CHALLENGE });

  /** A user (a JWT) or a pull token: a token that is revoked or expired is refused at once, looked up on every pull. */
  async function authenticate(c: Context): Promise<Caller | Response> {
    const token = tokenOf(c.req.header('authorization'));
    if (!token) return fail(c, ociError(401, 'UNAUTHORIZED', 'authentication required: log in with any username and a token of this service (a JWT or a pull token) as the password'), { 'www-authenticate': CHALLENGE });
    if (isPullToken(token)) {
      const grant = await findPullTokenGrant(deps.db, pullTokenHash(token));
      if (!grant) return notAccepted(c, 'no such pull token');
      if (grant.revoked) return notAccepted(c, `pull token "${grant.name}" was revoked`);
      if (grant.expired) return notAccepted(c, `pull token "${grant.name}" has expired`);
      await notePullTokenUsed(deps.db, grant);
      return { pullToken: grant };
    }
    try {
      return { principal: principalFromClaims(await deps.auth.verifier.verify(token), deps.auth.audience) };
    } catch (err) {
      if (err instanceof InvalidToken) return notAccepted(c, err.message);
      if (err instanceof IssuerUnavailable) {
        deps.logger.error({ err: err.message }, 'token issuer unavailable');
        return fail(c, ociError(503, 'UNAVAILABLE', 'the token cannot be checked now; retry later'), RETRY_AFTER);
      }
      throw err;
    }
  }

  const can = (p: Principal, action: 'models.read' | 'projects.read', tenant: string, version?: string) =>
    deps.auth.pdp.decide({ subject: p, action, resource: { service: SERVICE_NAME, tenant, ...(version ? { version } : {}) } });

  /**
   * Null when the caller may pull from the registry, else the refusal. As the REST API: who may see the
   * tenant learns they may not read; anyone else (another tenant's user or token) cannot tell it exists.
   * A pull token may `models.read` in its own tenant only, and in the registries it is limited to: another
   * is `403 DENIED`, decided by name before any lookup, so it says nothing of whether that registry exists.
   */
  async function refusal(c: Context, caller: Caller, tenant: string, registry: string): Promise<Response | null> {
    const unknown = () => unknownRegistry(c, tenant, registry);
    if ('pullToken' in caller) {
      const grant = caller.pullToken;
      if (grant.tenant !== tenant) return unknown();
      if (grant.registries && !grant.registries.includes(registry)) {
        const allowed = grant.registries.length > 0 ? `only from virtual registries ${grant.registries.join(', ')}` : 'from no virtual registry (those it was limited to are gone)';
        return fail(c, ociError(403, 'DENIED', `pull token "${grant.name}" may pull ${allowed} of tenant ${tenant}`));
      }
      return null;
    }
    if (await can(caller.principal, 'models.read', tenant)) return null;
    if (await can(caller.principal, 'projects.read', tenant)) return fail(c, ociError(403, 'DENIED', `${caller.principal.username} may not models.read in tenant ${tenant}`));
    return unknown();
  }

  router.all('/v2', (c) => c.redirect('/v2/', 301));
  // GET (Hono serves a HEAD by the GET route): a route of its own method, so that metrics count it under `/v2/*`.
  router.get('/v2/*', async (c) => {
    const caller = await authenticate(c);
    if (caller instanceof Response) return caller;
    const path = c.req.path;
    if (path === '/v2/') return send(c, { status: 200, headers: { 'content-type': 'application/json', 'content-length': '2' }, body: Buffer.from('{}') });

    const content = CONTENT.exec(path);
    const tagList = content ? null : TAGS.exec(path);
    const m = content ?? tagList;
    if (!m) return fail(c, ociError(404, 'NAME_UNKNOWN', `no registry resource at ${path}: expected /v2/<tenant>/<virtual registry>/<name>/(manifests|blobs)/<reference> or …/tags/list`));
    const [tenant, registry, name] = [m[1]!, m[2]!, m[3]!];
    if (!REPOSITORY_NAME.test(`${tenant}/${registry}/${name}`)) return fail(c, ociError(400, 'NAME_INVALID', `"${tenant}/${registry}/${name}" is not a valid repository name`));

    const refused = await refusal(c, caller, tenant, registry);
    if (refused) return refused;
    const unknown = () => unknownRegistry(c, tenant, registry);

    if (tagList) {
      const n = c.req.query('n');
      if (n !== undefined && !/^\d{1,9}$/.test(n)) return fail(c, ociError(400, 'PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, got "${n}"`));
      const list = (target: PullTarget) => deps.pull.tags.list(target, name, { n: n === undefined ? undefined : Number(n), last: c.req.query('last'), self: path });
      // A tag list looks nothing up in the cache, so nothing would check a kept resolution: read afresh.
      const answer = await deps.pull.withTarget(tenant, registry, list, { fresh: true });
      return answer ? send(c, answer) : unknown();
    }
    const reference = m[5]!;
    if (m[4] === 'blobs') {
      if (!SHA256_DIGEST.test(reference)) return fail(c, ociError(400, 'DIGEST_INVALID', `"${reference}" is not a sha256 digest (sha256:<64 lowercase hex>)`));
      const answer = await deps.pull.withTarget(tenant, registry, (target) => deps.pull.blobs.pull(target, name, reference, { range: c.req.header('range'), headOnly: c.req.method === 'HEAD' }));
      return answer ? sendContent(c, 'blob', answer) : unknown();
    }
    if (reference.includes(':')) {
      if (!SHA256_DIGEST.test(reference)) return fail(c, ociError(400, 'DIGEST_INVALID', `"${reference}" is not a sha256 digest (sha256:<64 lowercase hex>)`));
    } else if (!TAG.test(reference)) {
      return fail(c, ociError(404, 'MANIFEST_UNKNOWN', `"${reference}" is neither a tag nor a digest, so no manifest has it`));
    } else if ('principal' in caller && !(await can(caller.principal, 'models.read', tenant, reference))) {
      // A grant limited to some versions (the evaluator's 0.*): a tag is a version, decided as the REST API decides one.
      return fail(c, ociError(403, 'DENIED', `${caller.principal.username} may not models.read version ${reference} in tenant ${tenant}`));
    }
    const answer = await deps.pull.withTarget(tenant, registry, (target) => deps.pull.manifests.pull(target, name, reference));
    return answer ? sendContent(c, 'manifest', answer) : unknown();
  });
  router.all('/v2/*', (c) => fail(c, ociError(405, 'UNSUPPORTED', `this registry is read-only: ${c.req.method} is not served`), { allow: 'GET, HEAD' }));
  return router;
}
