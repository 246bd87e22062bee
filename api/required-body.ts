/** A route as the OpenAPI registry holds it (`/api/v1/projects/{name}/cleanup/policy`). */
interface RouteDefinition {
  type: string;
  route?: { method: string; path: string; request?: { body?: { required?: boolean } } };
}

/**
 * Whether a request's route documents its body as required. Hono's JSON validator reads a request
 * without a body as `{}`, which a schema of defaults (a cleanup policy) accepts: such a request
 * must be refused as the document says, not taken for "all defaults".
 */
export function requiredBodyOf(definitions: readonly RouteDefinition[]): (method: string, path: string) => boolean {
  const required = definitions
    .filter((d) => d.type === 'route' && d.route?.request?.body?.required)
    .map((d) => ({
      method: d.route!.method.toUpperCase(),
      pattern: new RegExp(`^${d.route!.path.split('/').map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`),
    }));
  return (method, path) => required.some((r) => r.method === method && r.pattern.test(path));
}
