import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { withSecurity } from '../../api/auth/openapi';
import { ROUTE_POLICIES } from '../../api/auth/route-policies';

const docOf = (...paths: string[]) => {
  const app = new OpenAPIHono();
  for (const path of paths) app.openapi(createRoute({ method: 'get', path, responses: { 200: { description: 'ok' } } }), (c) => c.json({}, 200));
  return app.getOpenAPIDocument({ openapi: '3.0.3', info: { title: 't', version: '1' } });
};

describe('route table', () => {
  it('refuses a route without a declared action, and a declared route that does not exist', () => {
    expect(() => withSecurity(docOf('/api/v1/tenants', '/api/v1/new-thing'), { 'GET /api/v1/tenants': ROUTE_POLICIES['GET /api/v1/tenants']! })).toThrow(
      /GET \/api\/v1\/new-thing declares no PBAC action/,
    );
    expect(() => withSecurity(docOf(), { 'GET /api/v1/gone': 'public' })).toThrow(/GET \/api\/v1\/gone is in .* but is not a route/);
  });

  it('documents the bearer scheme, each route\'s action and its 401/403 answers', () => {
    const doc = withSecurity(docOf('/api/v1/tenants'), { 'GET /api/v1/tenants': ROUTE_POLICIES['GET /api/v1/tenants']! });
    const op = doc.paths['/api/v1/tenants']!.get!;
    expect(op.security).toEqual([{ bearerAuth: [] }]);
    expect(op['x-pbac-action']).toBe('projects.read');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
