/** A route as Hono lists it in `app.routes`: middleware is registered under the method `ALL`. */
interface RouteEntry {
  method: string;
  path: string;
}

/**
 * The methods each path of the app answers, for `405` + `Allow` and `OPTIONS` (RFC 9110 §15.5.6):
 * a GET route answers HEAD too (Hono runs it and drops the body). Paths are Hono patterns
 * (`/api/v1/tenants/:name`); wildcard middleware paths are no resource and are left out.
 */
export function allowedMethodsOf(routes: readonly RouteEntry[]): (path: string) => string[] {
  const byPattern = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    if (method === 'ALL' || path.includes('*')) continue;
    let entry = byPattern.get(path);
    if (!entry) {
      const source = path
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      entry = { pattern: new RegExp(`^${source}$`), methods: new Set() };
      byPattern.set(path, entry);
    }
    entry.methods.add(method);
    if (method === 'GET') entry.methods.add('HEAD');
  }
  const entries = [...byPattern.values()];
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: m } of entries) if (pattern.test(path)) for (const x of m) methods.add(x);
    return [...methods].sort();
  };
}
