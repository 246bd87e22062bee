import { Client } from '@temporalio/client';
import type { ZodType } from 'zod';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { AuthDeps } from '../../api/auth/middleware';
import { connect } from '../../db/client';
import { logger } from '../../composition/logger';
import { createSecretBox } from '../../lib/secrets';

interface Def {
  type: string;
  shape?: Record<string, ZodType>;
  catchall?: ZodType;
  innerType?: ZodType;
  element?: ZodType;
  keyType?: ZodType;
  valueType?: ZodType;
  options?: ZodType[];
  in?: ZodType;
  out?: ZodType;
}
const defOf = (schema: ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Types that hold no string, or that only carry what they wrap. */
const LEAVES = new Set(['number', 'int', 'boolean', 'enum', 'literal', 'transform', 'null', 'undefined', 'never', 'bigint', 'date']);

/** Every string schema inside a request schema, with where it sits; `opaque` collects values no schema describes. */
function walk(schema: ZodType, at: string, strings: [string, ZodType][], opaque: string[]) {
  const def = defOf(schema);
  const next = (s: ZodType | undefined, path = at) => s && walk(s, path, strings, opaque);
  switch (def.type) {
    case 'string': strings.push([at, schema]); break;
    case 'object':
      for (const [key, value] of Object.entries(def.shape!)) next(value, `${at}.${key}`);
      next(def.catchall, `${at}.*`);
      break;
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'nonoptional': case 'readonly': case 'catch':
      next(def.innerType); break;
    case 'array': next(def.element, `${at}[]`); break;
    case 'record': next(def.keyType, `${at}{key}`); next(def.valueType, `${at}{value}`); break;
    case 'union': for (const option of def.options!) next(option); break;
    case 'pipe': next(def.in); next(def.out); break;
    default: if (!LEAVES.has(def.type)) opaque.push(`${at} (${def.type})`);
  }
}

/** A value the string schema would take but for the NUL in it (length and format respected). */
function probe(schema: ZodType): string {
  const s = schema as unknown as { format?: string | null; minLength?: number | null };
  if (s.format === 'url') return 'https://example.com/a\u0000b';
  return `a\u0000${'a'.repeat(Math.max(1, (s.minLength ?? 0) - 2))}`;
}

function requestSchemas() {
  const app = createApp({
    db: connect('postgres://postgres@127.0.0.1:1/none', { max: 1 }).db,
    client: new Client(),
    taskQueue: 'unused',
    mutationWaitMs: 0,
    bodyLimitBytes: 1024,
    logger: logger.child({}, { level: 'silent' }),
    registries: ['harbor.test'],
    secrets: createSecretBox(Buffer.alloc(32)),
    auth: {} as AuthDeps,
  });
  const found: [string, ZodType][] = [];
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue;
    const { method, path, request } = definition.route;
    const route = `${method.toUpperCase()} ${path}`;
    for (const part of ['params', 'query', 'headers', 'cookies'] as const) {
      const schema = request?.[part];
      if (schema && !Array.isArray(schema)) found.push([`${route} ${part}`, schema as ZodType]);
    }
    for (const [type, media] of Object.entries(request?.body?.content ?? {})) found.push([`${route} body (${type})`, (media as { schema: ZodType }).schema]);
  }
  return found;
}

describe('every string of every request schema', () => {
  const strings: [string, ZodType][] = [];
  const opaque: string[] = [];
  for (const [where, schema] of requestSchemas()) walk(schema, where, strings, opaque);

  it('finds the request strings (the walk reaches params, query, headers and bodies)', () => {
    const where = strings.map(([at]) => at);
    expect(where).toEqual(expect.arrayContaining([
      'POST /api/v1/tenants body (application/json).companyName',
      'GET /api/v1/tenants/{name} params.name',
      'POST /api/v1/tenants headers.idempotency-key',
      'POST /api/v1/projects body (application/json).members[].group',
    ]));
    expect(strings.length).toBeGreaterThan(50);
  });

  it('rejects NUL, so nothing a route takes can reach PostgreSQL with one', () => {
    const accepting = strings.filter(([, schema]) => schema.safeParse(probe(schema)).success).map(([at]) => at);
    expect(accepting).toEqual([]);
  });

  it('rejects it with the control-character check itself, not by chance of a stricter pattern', () => {
    const rejectsControl = (schema: ZodType) =>
      schema.safeParse(probe(schema)).error?.issues.some((i) => i.message.startsWith('must not contain control characters')) ?? false;
    expect(strings.filter(([, schema]) => !rejectsControl(schema)).map(([at]) => at)).toEqual([]);
  });

  it('declares every value: no request schema takes unknown JSON whose strings nobody checks', () => {
    expect(opaque).toEqual([]);
  });
});
