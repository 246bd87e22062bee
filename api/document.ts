import type { OpenAPIHono } from '@hono/zod-openapi';
import { problemInDocument as problem } from './schemas/common';

type OpenAPIObject = ReturnType<OpenAPIHono['getOpenAPIDocument']>;
type Schema = { $ref?: string; properties?: Record<string, Schema>; allOf?: Schema[]; enum?: unknown[] };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const BODY_METHODS = new Set(['post', 'put', 'patch']);

/**
 * What every operation can answer whatever its route declares, added in one place so that the
 * document lists each status the app's middleware gives (400 validation, 413 and 415 from the
 * body checks, 431 from Node's HTTP parser, 503 while Temporal or PostgreSQL does not answer), the registry
 * addresses this server accepts, and links from what a POST creates to the operations on it.
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
      if (path.startsWith('/api/')) op.responses['503'] ??= problem('Temporal or PostgreSQL is not answering (type temporal-unavailable, database-unavailable or request-timeout); retry after `Retry-After` seconds');
      // Node refuses oversized headers before the app sees the request, without a body.
      op.responses['431'] ??= { description: 'Request headers too large' };
      const keyed = (op.parameters ?? []).some((p) => 'name' in p && p.name === 'idempotency-key' && p.in === 'header');
      if (keyed) op.responses['422'] ??= problem('This caller sent this `Idempotency-Key` with a different request body: `errors` names `header.idempotency-key`');
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
  withCreatedLinks(doc);
  return doc;
}

const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
/** A JSON pointer's segment (RFC 6901), as an operationRef names a path. */
const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** The property names of a component schema, through `allOf`. */
function propertiesOf(schemas: Record<string, Schema>, schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (schema.$ref) return propertiesOf(schemas, schemas[schema.$ref.replace('#/components/schemas/', '')]);
  return [...Object.keys(schema.properties ?? {}), ...(schema.allOf ?? []).flatMap((part) => propertiesOf(schemas, part))];
}

/**
 * OpenAPI links from each `201 Created` to the operations on what it created: resources here are
 * addressed by name (`…/upstreams/{upstream}` takes the upstream's `name`, not its `id`), which a
 * client or a tool inferring links from the `id` field cannot guess. The created resource's path
 * parameter is its field of the same name, `id` for `{id}`, else `name`; the collection's own
 * parameters come from the request.
 */
function withCreatedLinks(doc: OpenAPIObject) {
  const paths = doc.paths ?? {};
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Schema>;
  for (const [collection, item] of Object.entries(paths)) {
    const created = item.post?.responses['201'];
    if (!created || '$ref' in created) continue;
    const properties = propertiesOf(schemas, created.content?.['application/json']?.schema as Schema | undefined);
    const own = pathParams(collection);
    const links: Record<string, { operationRef: string; parameters: Record<string, string> }> = {};
    for (const [path, target] of Object.entries(paths)) {
      if (!path.startsWith(`${collection}/`)) continue;
      const rest = path.slice(collection.length);
      const param = /^\/\{(\w+)\}/.exec(rest)?.[1];
      if (!param) continue;
      const field = param === 'id' || properties.includes(param) ? param : 'name';
      if (!properties.includes(field) || !pathParams(path).every((p) => p === param || own.includes(p))) continue;
      const parameters = { ...Object.fromEntries(own.map((p) => [`path.${p}`, `$request.path.${p}`])), [`path.${param}`]: `$response.body#/${field}` };
      for (const method of METHODS) {
        if (target[method]) links[`${method}${rest.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')}`] = { operationRef: `#/paths/${pointer(path)}/${method}`, parameters };
      }
    }
    if (Object.keys(links).length > 0) created.links = { ...created.links, ...links };
  }
}
