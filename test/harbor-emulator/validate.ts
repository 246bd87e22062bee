import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

/*
 * Validates each emulator response against the schema Harbor's own API definition gives the same
 * operation and status (vendor/harbor/openapi3.json, converted from Harbor's swagger by
 * scripts/gen-harbor-types.sh). The definition leaves some error statuses undeclared that Harbor
 * does send (e.g. 404 on GET /projects/{name}); those are checked against Harbor's `Errors` schema.
 */

const documentPath = new URL('../../vendor/harbor/openapi3.json', import.meta.url);

interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: object }>;
}
interface Operation {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}

export interface ResponseViolation {
  operationId: string;
  status: number;
  errors: string;
}

export type ResponseValidator = (operationId: string, status: number, body: unknown) => ResponseViolation | null;

// ajv-formats is CommonJS with a default export.
const addFormats = (addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin;

export function createResponseValidator(): ResponseValidator {
  const document = JSON.parse(readFileSync(documentPath, 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
    components: { responses: Record<string, ResponseObject> };
  };
  patchKnownDefects(document);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // Swagger's int32/int64 and friends (Harbor also writes int, int8, uint64, float64) are type hints, not string formats: unknown ones would be logged.
  for (const format of ['int', 'int8', 'int32', 'int64', 'uint64', 'float64', 'password', 'binary', 'byte']) ajv.addFormat(format, true);
  ajv.addSchema(document, 'harbor');

  const operations = new Map<string, Operation>();
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) if (operation.operationId) operations.set(operation.operationId, operation);
  }
  const cache = new Map<string, ValidateFunction | null>();

  const resolve = (response: ResponseObject): ResponseObject =>
    response.$ref ? document.components.responses[response.$ref.split('/').pop()!]! : response;

  function validatorFor(operationId: string, status: number): ValidateFunction | null | 'undeclared' {
    const key = `${operationId} ${status}`;
    if (cache.has(key)) return cache.get(key)!;
    const operation = operations.get(operationId);
    if (!operation) throw new Error(`the emulator answered for unknown operation ${operationId}`);
    const declared = operation.responses?.[String(status)];
    if (!declared) return status >= 400 ? compileRef(key, '#/components/schemas/Errors') : 'undeclared';
    const schema = resolve(declared).content?.['application/json']?.schema;
    const validate = schema ? ajv.compile(resolvedSchema(schema)) : null;
    cache.set(key, validate);
    return validate;
  }

  function compileRef(key: string, ref: string): ValidateFunction {
    const validate = ajv.compile({ $ref: `harbor${ref}` });
    cache.set(key, validate);
    return validate;
  }

  function resolvedSchema(schema: object): object {
    // Refs inside the operation point into the same document, which ajv knows as `harbor`.
    return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"harbor#/')) as object;
  }

  return (operationId, status, body) => {
    const validate = validatorFor(operationId, status);
    if (validate === 'undeclared') return { operationId, status, errors: `status ${status} is not declared for ${operationId}` };
    if (!validate || validate(body)) return null;
    return { operationId, status, errors: ajv.errorsText(validate.errors, { dataVar: 'body' }) };
  };
}

/**
 * Where Harbor's definition contradicts what Harbor itself sends, the emulator follows Harbor and
 * the schema is corrected here, each place named (see test/harbor-emulator/README.md):
 * - RetentionRule.params: declared as a map of objects; Harbor's rules carry numbers
 *   (`{"latestPushedK": 5}`).
 * - getVulnerabilitiesAddition 200: declared `type: string`; Harbor answers a JSON object keyed
 *   by report MIME type.
 * - ExtraAttrs: declared as a map of objects; Harbor copies a config's properties as they are
 *   (an image's `architecture` and `os` are strings; a model's whole config, any JSON).
 */
function patchKnownDefects(document: {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, ResponseObject>; schemas?: Record<string, { type?: string; properties?: Record<string, object>; additionalProperties?: object }> };
}): void {
  const rule = document.components.schemas?.RetentionRule?.properties;
  if (rule) rule.params = { type: 'object', additionalProperties: {} };
  if (document.components.schemas?.ExtraAttrs) document.components.schemas.ExtraAttrs = { type: 'object', additionalProperties: {} };
  const addition = document.paths['/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/vulnerabilities']?.get;
  const content = addition?.responses?.['200']?.content?.['application/json'];
  if (content) content.schema = { type: 'object', additionalProperties: { type: 'object' } };
}
