import type { OpenAPIHono } from '@hono/zod-openapi';
import { problemInDocument as problem } from '../schemas/common';
import type { RoutePolicy } from './route-policies';

type OpenAPIObject = ReturnType<OpenAPIHono['getOpenAPIDocument']>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Adds the bearer scheme, each operation's security, `x-pbac-action` and the 401/403/503 answers to the
 * document, from the same table the middleware enforces. Throws when a documented route has no
 * entry in the table or the table names a route that does not exist: no route goes unguarded.
 */
export function withSecurity(doc: OpenAPIObject, table: Record<string, RoutePolicy | 'public'>): OpenAPIObject {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const key = `${method.toUpperCase()} ${path}`;
      seen.add(key);
      const policy = table[key];
      if (!policy) {
        problems.push(`${key} declares no PBAC action in api/auth/route-policies.ts`);
        continue;
      }
      if (policy === 'public') {
        op.security = [];
        continue;
      }
      op.security = [{ bearerAuth: [] }];
      op['x-pbac-action'] = policy.action;
      op.responses['401'] ??= problem('No bearer token, or one that is expired, for another audience or issuer, or badly signed');
      op.responses['403'] ??= problem(`The caller may not \`${policy.action}\` here`);
      op.responses['503'] ??= problem('The token issuer cannot be reached to check the token; retry later');
    }
  }
  for (const key of Object.keys(table)) if (!seen.has(key)) problems.push(`${key} is in api/auth/route-policies.ts but is not a route`);
  if (problems.length > 0) throw new Error(`route policies do not match the routes:\n  ${problems.join('\n  ')}`);
  doc.components = {
    ...doc.components,
    securitySchemes: { ...doc.components?.securitySchemes, bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  };
  return doc;
}
