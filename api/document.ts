import type { OpenAPIHono } from '@hono/zod-openapi';
import { problemInDocument as problem } from './schemas/common';

type OpenAPIObject = ReturnType<OpenAPIHono['getOpenAPIDocument']>;
type Schema = { $ref?: string; properties?: Record<string, Schema>; allOf?: Schema[]; enum?: unknown[] };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const BODY_METHODS = new Set(['post', 'put', 'patch']);

/**
 * What every operation can answer whatever its route declares, added in one place so that the
 * document lists each status the app's middleware gives (400 validation, 413 and 415 from the
 * body checks, 431 from Node's HTTP parser, 503 while Temporal or PostgreSQL does not answer), and the registry
 * addresses this server accepts.
 */
export function withCommonResponses(doc: OpenAPIObject, registries: string[]): OpenAPIObject {
  const requestSchemas = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (op.parameters?.length || op.requestBody) op.responses['400'] ??= problem('Invalid request: each field that failed validation is named in `errors`');
      if (path.startsWith('/api/') && BODY_METHODS.has(method)) {
        op.responses['413'] ??= problem('Request body over the size limit');
        op.responses['415'] ??= problem('A request body that is not JSON');
      }
      // Temporal or PostgreSQL not answering (api/unavailable.ts), with Retry-After.
      if (path.startsWith('/api/')) op.responses['503'] ??= problem('Temporal or PostgreSQL is not answering (type temporal-unavailable or database-unavailable); retry after `Retry-After` seconds');
      // Node refuses oversized headers before the app sees the request, without a body.
      op.responses['431'] ??= { description: 'Request headers too large' };
      for (const p of op.parameters ?? []) {
        if ('name' in p && p.name === 'registry' && p.in === 'query' && p.schema && !('$ref' in p.schema)) p.schema.enum = [...registries];
      }
      const body = op.requestBody && 'content' in op.requestBody ? op.requestBody.content['application/json']?.schema : undefined;
      const ref = body && '$ref' in body ? body.$ref : undefined;
      if (ref) requestSchemas.add(ref.replace('#/components/schemas/', ''));
    }
  }
  // A request body's `registry` names a managed Harbor instance, as the handlers check.
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Schema>;
  for (const name of requestSchemas) {
    const registry = schemas[name]?.properties?.registry;
    // A remote registry's name (`x-remote-registry`) is not one of the managed instances.
    if (registry && !registry.$ref && !(registry as Record<string, unknown>)['x-remote-registry']) registry.enum = [...registries];
  }
  return doc;
}
