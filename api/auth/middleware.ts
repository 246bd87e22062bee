import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db/client';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import { findTenantOfProject } from '../../db/queries/projects';
import { findLiveRemoteRegistry } from '../../db/queries/registries';
import { isSingleLine } from '../../lib/text';
import { listTenantNames } from '../../db/queries/tenants';
import type { Logger } from '../../lib/logger';
import { ProjectName, TenantName } from '../../lib/search-attributes';
import { parseFullName } from '../../lib/names';
import { decodeOperationId } from '../operations';
import { fieldIssues, problemBody, problemResponse, RETRY_AFTER, validationFailure, type Problem } from '../problem';
import { z } from '@hono/zod-openapi';
import { pathName } from '../schemas/common';
import { managedRegistry } from '../registry';
import { SERVICE_NAME, type Action, type Resource } from './actions';
import type { AppEnv, AuthContext } from './context';
import type { PolicyDecisionPoint } from './pdp';
import { principalFromClaims, type Principal } from './principal';
import { compileRoutes, matchRoute, type CompiledRoute, type ResourceSource, type RoutePolicy } from './route-policies';
import { InvalidToken, IssuerUnavailable, type TokenVerifier } from './verifier';

export interface AuthDeps {
  verifier: TokenVerifier;
  pdp: PolicyDecisionPoint;
  audience: string;
}

const REALM = 'Bearer realm="model-registry"';
const quoted = (s: string) => s.replace(/["\\]/g, '');

interface Resolved {
  resource?: Omit<Resource, 'service'>;
  /** The thing asked for does not exist: 404 whoever asks. */
  missing?: boolean;
  /** The 404 detail for a caller who may not see the resource: the same words as for a missing one. */
  hidden?: { title: string; detail: string };
  /** A shared resource (no tenant): whoever holds the action in any tenant reads it. */
  shared?: boolean;
  /** The name that should find it cannot name anything: the 400 the route's validation would give. */
  invalid?: Problem;
}

/**
 * A name the route's own validation refuses (a control character, too long): that 400 whoever asks,
 * not a 404 that depends on the caller's tenants (and a NUL would fail the lookup).
 */
function unnameable(param: string, name: string): Resolved | undefined {
  const checked = z.object({ [param]: pathName() }).safeParse({ [param]: name });
  return checked.success ? undefined : { invalid: validationFailure(fieldIssues('param', checked.error.issues)) };
}

/** What a policy's resource source reads from a request, whatever the transport. */
export interface RequestView {
  /** A path parameter (REST) or request field (gRPC). */
  param(name: string): string | undefined;
  /** A query parameter (REST) or request field (gRPC). */
  query(name: string): string | undefined;
  /** The JSON body (REST) or the request message as JSON (gRPC); undefined when unreadable. */
  body(): Promise<Record<string, unknown> | undefined>;
}

/** The outcome of a credential check: the caller, or the problem to answer (401, 503) and its headers. */
export type Authentication = { principal: Principal } | { problem: Problem; headers: Record<string, string> };

const unauthorizedProblem = (detail: string, tokenPresented: boolean): Authentication => ({
  problem: problemBody(401, 'unauthorized', 'Unauthorized', detail),
  // RFC 6750 §3.1: a request without credentials gets the challenge without an error code.
  headers: { 'www-authenticate': tokenPresented ? `${REALM}, error="invalid_token", error_description="${quoted(detail)}"` : REALM },
});

/**
 * JWT authentication and PBAC authorization as both transports use them (the REST middleware
 * below, the gRPC interceptor in api/grpc). A caller who may not even read the resource's tenant
 * gets the same 404 as for a missing resource, so other tenants' names cannot be probed; one who
 * may read but not act gets 403.
 */
export function createAuthorizer(deps: AuthDeps & { db: Db; client: Client; registries: string[]; logger: Logger; projects: ProjectLookup }) {
  async function projectResource(registry: string, name: string, model: string | undefined, version: string | undefined): Promise<Resolved> {
    const hidden = { title: 'Project not found', detail: `no project "${name}" in ${registry}` };
    const project = await deps.projects.find(registry, name);
    if (!project) return { missing: true, hidden };
    return {
      hidden,
      resource: { tenant: project.tenantId, accessType: project.public ? 'public' : 'private', ...(model ? { model } : {}), ...(version ? { version } : {}) },
    };
  }

  async function resolve(source: ResourceSource, request: RequestView): Promise<Resolved | 'defer'> {
    switch (source.kind) {
      case 'list':
        return {};
      case 'tenant-param': {
        const tenant = request.param(source.param) ?? '';
        return unnameable(source.param, tenant) ?? { resource: { tenant }, hidden: { title: 'Tenant not found', detail: `no tenant named "${tenant}"` } };
      }
      case 'tenant-body': {
        const tenant = (await request.body())?.[source.field];
        // Without a usable tenant the body is invalid anyway: the route's validation answers 400.
        if (typeof tenant !== 'string') return 'defer';
        return source.creates ? { resource: { tenant } } : { resource: { tenant }, hidden: { title: 'Tenant not found', detail: `no tenant named "${tenant}"` } };
      }
      case 'full-name': {
        const text = request.query(source.query) ?? '';
        const ref = isSingleLine(text) ? parseFullName(text) : null;
        // Unparsable or not a registry of ours: the route answers 400 or 404 without reading anything.
        if (!ref || !deps.registries.includes(ref.registry ?? deps.registries[0] ?? '')) return 'defer';
        return projectResource(ref.registry ?? deps.registries[0]!, ref.project, ref.model, ref.tag);
      }
      case 'project': {
        const name = request.param(source.param) ?? '';
        const invalid = unnameable(source.param, name);
        if (invalid) return invalid;
        // A `registry` naming no managed Harbor instance: 400 before anything is looked up.
        const registry = managedRegistry(deps.registries, request.query('registry'));
        return projectResource(registry, name, source.model && request.param(source.model), source.version && request.param(source.version));
      }
      case 'remote-registry': {
        const registry = managedRegistry(deps.registries, request.query('registry'));
        const name = request.param(source.param) ?? '';
        const invalid = unnameable(source.param, name);
        if (invalid) return invalid;
        const found = await findLiveRemoteRegistry(deps.db, registry, name);
        const hidden = { title: 'Remote registry not found', detail: `no remote registry "${name}" in ${registry}` };
        if (!found) return { missing: true, hidden };
        return found.tenant === null ? { resource: {}, hidden, shared: true } : { resource: { tenant: found.tenant }, hidden };
      }
      case 'operation': {
        const id = request.param(source.param) ?? '';
        const ids = decodeOperationId(id);
        if (!ids) return 'defer';
        let attrs;
        try {
          attrs = (await deps.client.workflow.getHandle(ids.workflowId, ids.runId).describe()).typedSearchAttributes;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return 'defer'; // the route answers 404
          throw err;
        }
        const hidden = { title: 'Operation not found', detail: `no operation "${id}"` };
        const tenant = attrs.get(TenantName);
        if (tenant) return { resource: { tenant }, hidden };
        const project = attrs.get(ProjectName);
        if (project) {
          const owner = await findTenantOfProject(deps.db, project);
          if (owner) return { resource: { tenant: owner }, hidden };
        }
        return { resource: {}, hidden }; // a service-wide operation: only roles held in every tenant decide
      }
      case 'platform':
        return { resource: {} }; // no tenant: a tenant's roles never reach it, so others get 403
    }
  }

  return {
    /** Checks `authorization: Bearer <JWT>` (an HTTP header or gRPC metadata). */
    async authenticate(header: string | undefined | null): Promise<Authentication> {
      const token = header && /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
      if (!token) return unauthorizedProblem(header ? 'the Authorization header must be "Bearer <token>"' : 'a bearer token is required', Boolean(header));
      try {
        return { principal: principalFromClaims(await deps.verifier.verify(token), deps.audience) };
      } catch (err) {
        if (err instanceof InvalidToken) return unauthorizedProblem(err.message, true);
        if (err instanceof IssuerUnavailable) {
          deps.logger.error({ err: err.message }, 'token issuer unavailable');
          return { problem: problemBody(503, 'issuer-unavailable', 'Identity provider unavailable', 'the token cannot be checked now; retry later'), headers: RETRY_AFTER };
        }
        throw err;
      }
    },

    /** What handlers ask later (list filtering) about the caller. */
    contextFor(principal: Principal): AuthContext {
      const subject = { subject: principal.subject, username: principal.username, roles: principal.roles, tenantRoles: principal.tenantRoles, groups: principal.groups };
      const can = (action: Action, resource: Omit<Resource, 'service'>) => deps.pdp.decide({ subject, action, resource: { service: SERVICE_NAME, ...resource } });
      return {
        principal,
        can,
        async tenantsAllowed(action) {
          const names = await listTenantNames(deps.db);
          const allowed = await Promise.all(names.map((tenant) => can(action, { tenant })));
          return names.filter((_, i) => allowed[i]);
        },
      };
    },

    /** The policy's decision on this request: null to go on to the handler, else the problem (404 or 403) to answer. */
    async authorize(auth: AuthContext, policy: RoutePolicy, request: RequestView): Promise<Problem | null> {
      const resolved = await resolve(policy.resource, request);
      if (resolved === 'defer' || policy.resource.kind === 'list') return null;
      if (resolved.invalid) return resolved.invalid;
      if (resolved.missing && resolved.hidden) return problemBody(404, 'not-found', resolved.hidden.title, resolved.hidden.detail);
      const resource = resolved.resource!;
      if (await auth.can(policy.action, resource)) return null;
      // A shared resource: read by anyone who reads such resources in some tenant, changed by nobody else.
      const readsShared = resolved.shared === true && (await auth.tenantsAllowed(policy.action.replace(/\.\w+$/, '.read') as Action)).length > 0;
      if (readsShared && policy.action.endsWith('.read')) return null;
      const visible = readsShared || (resource.tenant !== undefined && (await auth.can('projects.read', { tenant: resource.tenant })));
      if (!visible && resolved.hidden) return problemBody(404, 'not-found', resolved.hidden.title, resolved.hidden.detail);
      return problemBody(403, 'forbidden', 'Forbidden', `${auth.principal.username} may not ${policy.action} here`, { action: policy.action });
    },
  };
}
export type Authorizer = ReturnType<typeof createAuthorizer>;

/** The REST side: every /api/v1 route, driven by ROUTE_POLICIES. */
export function createAuthMiddleware(deps: AuthDeps & { db: Db; client: Client; registries: string[]; logger: Logger; projects: ProjectLookup; routes: CompiledRoute[] }): MiddlewareHandler<AppEnv> {
  const authorizer = createAuthorizer(deps);
  return async (c, next) => {
    const match = matchRoute(deps.routes, c.req.method, c.req.path);
    if (!match) return next(); // not a route: the router answers 404
    if (match.route.policy === 'public') return next();
    const authentication = await authorizer.authenticate(c.req.header('authorization'));
    if ('problem' in authentication) return problemResponse(c, authentication.problem, authentication.headers);
    const auth = authorizer.contextFor(authentication.principal);
    c.set('auth', auth);
    const problem = await authorizer.authorize(auth, match.route.policy, {
      param: (name) => match.params[name],
      query: (name) => c.req.query(name),
      body: () => c.req.json<Record<string, unknown>>().catch(() => undefined),
    });
    return problem ? problemResponse(c, problem) : next();
  };
}

export { compileRoutes };
