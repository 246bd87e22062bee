import type { Action } from './actions';

/** Where a route's tenant (and model, version) come from, for the policy decision. */
export type ResourceSource =
  /** A list: every authenticated caller may ask; the handler keeps only what the caller may read. */
  | { kind: 'list' }
  /** The tenant is a path parameter. */
  | { kind: 'tenant-param'; param: string }
  /**
   * The tenant is a field of the JSON body: the tenant a new project or registry goes into (one the
   * caller may not read is a 404, as in a path), or with `creates` the new tenant itself (a 403: it
   * may well not exist).
   */
  | { kind: 'tenant-body'; field: string; creates?: true }
  /** The tenant is the owner of the project named by a path parameter. */
  | { kind: 'project'; param: string; model?: string; version?: string }
  /** The project, model and version of a full model name in a query parameter. */
  | { kind: 'full-name'; query: string }
  /** The owner of the remote registry named by a path parameter; a shared one (no owner) is readable by all who read registries. */
  | { kind: 'remote-registry'; param: string }
  /** The tenant of the workflow behind an operation id. */
  | { kind: 'operation'; param: string }
  /** The whole platform (no tenant): only roles held outside any one tenant (platform administrators) decide. */
  | { kind: 'platform' };

export interface RoutePolicy {
  action: Action;
  resource: ResourceSource;
}

/**
 * Every route under /api/v1, as `METHOD path` in OpenAPI form, with its action and resource, or
 * `public`. The app refuses to start when a documented route is missing here, and the auth matrix
 * test is generated from this table.
 */
export const ROUTE_POLICIES: Record<string, RoutePolicy | 'public'> = {
  'POST /api/v1/webhooks/harbor': 'public', // authenticated by the project's own webhook secret

  'GET /api/v1/tenants': { action: 'projects.read', resource: { kind: 'list' } },
  'POST /api/v1/tenants': { action: 'projects.write', resource: { kind: 'tenant-body', field: 'name', creates: true } },
  'GET /api/v1/tenants/{name}': { action: 'projects.read', resource: { kind: 'tenant-param', param: 'name' } },
  'GET /api/v1/tenants/{tenant}/users': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  'POST /api/v1/tenants/{tenant}/users': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  'GET /api/v1/tenants/{tenant}/users/{username}': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  'DELETE /api/v1/tenants/{tenant}/users/{username}': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },

  'GET /api/v1/projects': { action: 'projects.read', resource: { kind: 'list' } },
  'POST /api/v1/projects': { action: 'projects.write', resource: { kind: 'tenant-body', field: 'tenantId' } },
  'GET /api/v1/projects/{name}': { action: 'projects.read', resource: { kind: 'project', param: 'name' } },
  'PUT /api/v1/projects': { action: 'projects.write', resource: { kind: 'tenant-body', field: 'tenantId' } },
  'PATCH /api/v1/projects/{name}': { action: 'projects.write', resource: { kind: 'project', param: 'name' } },
  'DELETE /api/v1/projects/{name}': { action: 'projects.write', resource: { kind: 'project', param: 'name' } },
  'POST /api/v1/projects/{name}/refresh': { action: 'models.write', resource: { kind: 'project', param: 'name' } },
  'GET /api/v1/projects/{name}/members': { action: 'membership.admin', resource: { kind: 'project', param: 'name' } },
  'PUT /api/v1/projects/{name}/members': { action: 'membership.admin', resource: { kind: 'project', param: 'name' } },
  'POST /api/v1/projects/{name}/members/sync': { action: 'membership.admin', resource: { kind: 'project', param: 'name' } },
  // Robots are credentials into the project: managing them is a project write.
  'GET /api/v1/projects/{name}/robots': { action: 'projects.read', resource: { kind: 'project', param: 'name' } },
  'POST /api/v1/projects/{name}/robots': { action: 'projects.write', resource: { kind: 'project', param: 'name' } },
  'GET /api/v1/projects/{name}/robots/{robot}': { action: 'projects.read', resource: { kind: 'project', param: 'name' } },
  'DELETE /api/v1/projects/{name}/robots/{robot}': { action: 'projects.write', resource: { kind: 'project', param: 'name' } },
  'POST /api/v1/projects/{name}/robots/{robot}/secret': { action: 'projects.write', resource: { kind: 'project', param: 'name' } },

  'GET /api/v1/projects/{project}/models': { action: 'models.read', resource: { kind: 'project', param: 'project' } },
  'GET /api/v1/models/resolve': { action: 'models.read', resource: { kind: 'full-name', query: 'name' } },
  'GET /api/v1/models/{project}/{model}': { action: 'models.read', resource: { kind: 'project', param: 'project', model: 'model' } },
  'PATCH /api/v1/models/{project}/{model}': { action: 'models.write', resource: { kind: 'project', param: 'project', model: 'model' } },
  'POST /api/v1/models/{project}/{model}': { action: 'models.write', resource: { kind: 'project', param: 'project', model: 'model' } },
  'GET /api/v1/models/{project}/{model}/versions/{tag}': {
    action: 'models.read',
    resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' },
  },
  ...Object.fromEntries(
    (
      [
        ['GET', '', 'checkpoints.read'],
        ['POST', '', 'checkpoints.write'],
        ['GET', '/{checkpoint}', 'checkpoints.read'],
        ['PATCH', '/{checkpoint}', 'checkpoints.write'],
        ['DELETE', '/{checkpoint}', 'checkpoints.write'],
      ] as const
    ).map(([method, tail, action]) => [
      `${method} /api/v1/models/{project}/{model}/versions/{tag}/checkpoints${tail}`,
      { action, resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } } satisfies RoutePolicy,
    ]),
  ),
  // Approval is its own action (never granted to developers), and never by the version's pusher (checked by the route).
  'POST /api/v1/models/{project}/{model}/versions/{tag}/approval': { action: 'models.approve', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  'DELETE /api/v1/models/{project}/{model}/versions/{tag}/approval': { action: 'models.approve', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  'POST /api/v1/models/{project}/{model}/versions/{tag}/promotions': { action: 'models.write', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  'GET /api/v1/models/{project}/{model}/audit': { action: 'audit.read', resource: { kind: 'project', param: 'project', model: 'model' } },

  // Remote registries: a tenant's, or shared (created and changed by platform administrators only).
  'GET /api/v1/registries': { action: 'registries.read', resource: { kind: 'list' } },
  'POST /api/v1/registries': { action: 'registries.write', resource: { kind: 'tenant-body', field: 'tenant' } },
  'GET /api/v1/registries/{name}': { action: 'registries.read', resource: { kind: 'remote-registry', param: 'name' } },
  'PATCH /api/v1/registries/{name}': { action: 'registries.write', resource: { kind: 'remote-registry', param: 'name' } },
  'DELETE /api/v1/registries/{name}': { action: 'registries.write', resource: { kind: 'remote-registry', param: 'name' } },
  // The versions there; the list keeps those of projects the caller may read.
  'GET /api/v1/registries/{name}/models': { action: 'registries.read', resource: { kind: 'remote-registry', param: 'name' } },
  'PUT /api/v1/registries/{name}/credentials': { action: 'registries.write', resource: { kind: 'remote-registry', param: 'name' } },
  // A project's replication rules and executions: guarded like the remote registries they use, in the project's tenant.
  ...Object.fromEntries(
    (
      [
        ['GET', '', 'registries.read'],
        ['POST', '', 'registries.write'],
        ['GET', '/{rule}', 'registries.read'],
        ['PATCH', '/{rule}', 'registries.write'],
        ['DELETE', '/{rule}', 'registries.write'],
        ['GET', '/{rule}/executions', 'registries.read'],
        ['POST', '/{rule}/executions', 'registries.write'],
        ['GET', '/{rule}/executions/{id}', 'registries.read'],
      ] as const
    ).map(([method, tail, action]) => [`${method} /api/v1/projects/{name}/replications${tail}`, { action, resource: { kind: 'project', param: 'name' } } satisfies RoutePolicy]),
  ),
  // A pull rule's synchronization now: like running the rule.
  'POST /api/v1/projects/{name}/replications/{rule}/sync': { action: 'registries.write', resource: { kind: 'project', param: 'name' } },
  // Pinging is reading: it changes nothing.
  'POST /api/v1/registries/{name}/ping': { action: 'registries.read', resource: { kind: 'remote-registry', param: 'name' } },

  // Upstreams and virtual registries (issue #16): a tenant's own; checking an upstream changes nothing, so it is a read.
  ...Object.fromEntries(
    (
      [
        ['GET', '/upstreams', 'registries.read'],
        ['POST', '/upstreams', 'registries.write'],
        ['GET', '/upstreams/{upstream}', 'registries.read'],
        ['PATCH', '/upstreams/{upstream}', 'registries.write'],
        ['DELETE', '/upstreams/{upstream}', 'registries.write'],
        ['POST', '/upstreams/{upstream}/check', 'registries.read'],
        ['GET', '/virtual-registries', 'registries.read'],
        ['POST', '/virtual-registries', 'registries.write'],
        ['GET', '/virtual-registries/{virtualRegistry}', 'registries.read'],
        ['PATCH', '/virtual-registries/{virtualRegistry}', 'registries.write'],
        ['DELETE', '/virtual-registries/{virtualRegistry}', 'registries.write'],
        ['PUT', '/virtual-registries/{virtualRegistry}/upstreams', 'registries.write'],
        ['DELETE', '/virtual-registries/{virtualRegistry}/cache', 'registries.write'],
        ['POST', '/virtual-registries/{virtualRegistry}/warm', 'registries.write'],
        // Pull tokens are credentials into the tenant's virtual registries: managed as they are.
        ['GET', '/pull-tokens', 'registries.read'],
        ['POST', '/pull-tokens', 'registries.write'],
        ['GET', '/pull-tokens/{pullToken}', 'registries.read'],
        ['DELETE', '/pull-tokens/{pullToken}', 'registries.write'],
      ] as const
    ).map(([method, tail, action]) => [`${method} /api/v1/tenants/{tenant}${tail}`, { action, resource: { kind: 'tenant-param', param: 'tenant' } } satisfies RoutePolicy]),
  ),
  // Cleanup: reading candidates and runs is cleanup.read (tenant admins and maintainers); policies and runs are cleanup.admin.
  ...Object.fromEntries(
    (
      [
        ['GET', '/policy', 'cleanup.read'],
        ['PUT', '/policy', 'cleanup.admin'],
        ['DELETE', '/policy', 'cleanup.admin'],
        ['GET', '/candidates', 'cleanup.read'],
        ['POST', '/candidates', 'cleanup.read'],
        ['GET', '/runs', 'cleanup.read'],
        ['POST', '/runs', 'cleanup.admin'],
        ['GET', '/runs/{id}', 'cleanup.read'],
        ['POST', '/runs/{id}/approve', 'cleanup.admin'],
        ['POST', '/runs/{id}/cancel', 'cleanup.admin'],
      ] as const
    ).map(([method, tail, action]) => [`${method} /api/v1/projects/{name}/cleanup${tail}`, { action, resource: { kind: 'project', param: 'name' } } satisfies RoutePolicy]),
  ),
  'GET /api/v1/tenants/{tenant}/cleanup/policy': { action: 'cleanup.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  'PUT /api/v1/tenants/{tenant}/cleanup/policy': { action: 'cleanup.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  'GET /api/v1/tenants/{tenant}/cleanup/candidates': { action: 'cleanup.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  // Storage reclaim (Harbor's GC) spans every tenant's storage: platform administrators only.
  'POST /api/v1/cleanup/gc': { action: 'cleanup.admin', resource: { kind: 'platform' } },
  'GET /api/v1/cleanup/gc/{id}': { action: 'cleanup.admin', resource: { kind: 'platform' } },

  'GET /api/v1/operations/{id}': { action: 'projects.read', resource: { kind: 'operation', param: 'id' } },
};

export interface CompiledRoute {
  key: string;
  method: string;
  pattern: RegExp;
  params: string[];
  policy: RoutePolicy | 'public';
}

export function compileRoutes(table: Record<string, RoutePolicy | 'public'>): CompiledRoute[] {
  return Object.entries(table).map(([key, policy]) => {
    const [method, path] = key.split(' ') as [string, string];
    const params: string[] = [];
    const source = path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
    // Exact, as Hono's routing is: `/tenants/` is no route (the app redirects a GET of it to `/tenants`).
    return { key, method, pattern: new RegExp(`^${source}$`), params, policy };
  });
}

/** The route a request hits, with its decoded path parameters. */
export function matchRoute(routes: CompiledRoute[], method: string, path: string) {
  // Hono answers a HEAD with the GET route (dropping the body): it must be authorized as that GET.
  const served = method === 'HEAD' ? 'GET' : method;
  for (const route of routes) {
    if (route.method !== served) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    try {
      return { route, params: Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(m[i + 1]!)])) };
    } catch {
      return undefined; // a malformed escape: no route, the router answers 404
    }
  }
  return undefined;
}
