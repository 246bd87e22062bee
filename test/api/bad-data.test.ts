import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantWorkflowId } from '../../lib/workflow-ids';
import { Code, ConnectError } from '@connectrpc/connect';
import { BadRequestSchema } from '../../gen/google/rpc/error_details_pb';
import { grpcClients } from '../support/grpc';
import { jsonRequest, readJson } from '../support/http';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

describe('control characters in requests', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(() => stack.close());

  /** An INVALID_ARGUMENT's field violations (its message containing `says`). */
  const violationsOf = async (call: Promise<unknown>, says = '') => {
    const err = ConnectError.from(await call.then(() => new Error('answered'), (e: unknown) => e));
    expect(err.code, err.message).toBe(Code.InvalidArgument);
    expect(err.message).toContain(says);
    return err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);
  };

  const fields = async (res: Response) => {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    return (await readJson(res)).errors.map((e: { field: string }) => e.field) as string[];
  };

  it('answers 400 naming body.companyName for a NUL in it, before any workflow starts', async () => {
    const name = uniqueName('nul');
    const res = await stack.app.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Acme\u0000Corp', url: 'https://acme.example' }));
    expect(await fields(res)).toEqual(['body.companyName']);
    await expect(stack.client.workflow.getHandle(tenantWorkflowId(name)).describe()).rejects.toThrow(WorkflowNotFoundError);
  });

  it('rejects other C0 characters in single-line fields, in path parameters and in a URL', async () => {
    const tab = await stack.app.request('/api/v1/tenants', jsonRequest({ name: uniqueName('tab'), companyName: 'Acme\tCorp', url: 'https://acme.example/\u0001' }));
    expect(await fields(tab)).toEqual(['body.companyName', 'body.url']);
    expect(await fields(await stack.app.request('/api/v1/tenants/a%00b'))).toEqual(['param.name']);
    // Names the authorization looks up first (a project, a remote registry): the same 400, not their 404.
    expect(await fields(await stack.app.request('/api/v1/projects/x%01y'))).toEqual(['param.name']);
    expect(await fields(await stack.app.request('/api/v1/models/x%01y/m', { method: 'POST' }))).toEqual(['param.project']);
    expect(await fields(await stack.app.request('/api/v1/registries/x%1fy', { method: 'DELETE' }))).toEqual(['param.name']);
    expect(await fields(await stack.app.request('/api/v1/projects?namePrefix=%1b'))).toEqual(['query.namePrefix']);
  });

  it('names a query parameter given twice as such, not as "received NaN"', async () => {
    const res = await stack.app.request('/api/v1/projects?limit=1&limit=2&namePrefix=x');
    expect(res.status).toBe(400);
    expect((await readJson(res)).errors).toEqual([{ field: 'query.limit', message: 'given 2 times; give it once', code: 'repeated' }]);
    const word = await stack.app.request('/api/v1/projects?limit=abc');
    expect((await readJson(word)).errors).toEqual([expect.objectContaining({ field: 'query.limit', message: 'must be a whole number from 1 to 500' })]);
  });

  it('answers a NUL in any path parameter of any route with a 4xx, never a 500 (lookups before validation met it)', async () => {
    const document = await readJson(await stack.app.request('/openapi.json'));
    const answered: string[] = [];
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
      if (!path.includes('{')) continue;
      for (const method of Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))) {
        const url = path.replace(/\{[^}]+\}/g, 'a%00b');
        const res = await stack.app.request(url, method === 'get' || method === 'delete' ? { method: method.toUpperCase() } : jsonRequest({}, {}, method.toUpperCase()));
        answered.push(`${method.toUpperCase()} ${path} ${res.status}`);
        expect(res.status, `${method.toUpperCase()} ${url}: ${await res.clone().text()}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method.toUpperCase()} ${url}: ${await res.clone().text()}`).toBeLessThan(500);
      }
    }
    expect(answered.length).toBeGreaterThan(50);
  });

  it('answers a NUL in any string of a gRPC request, or a control character in a name it looks up, INVALID_ARGUMENT naming the field', async () => {
    const grpc = grpcClients(stack);
    const cases: [Promise<unknown>, string][] = [
      [grpc.projects.getProject({ name: 'gw\u0000x' }), 'name'],
      // Another control character in a name the authorization looks up: the same, not NOT_FOUND.
      [grpc.projects.getProject({ name: 'gw\u0001x' }), 'name'],
      [grpc.registries.getRegistry({ name: 'a\u001f' }), 'name'],
      [grpc.tenants.getTenant({ name: 'a\u0000' }), 'name'],
      [grpc.registries.getRegistry({ name: 'a\u0000' }), 'name'],
      [grpc.models.listModels({ project: 'a\u0000' }), 'project'],
      [grpc.projects.onboardProject({ name: 'p', displayName: 'P', tenantId: 't', members: [{ group: 'g\u0000', role: 'developer' }] }), 'members.0.group'],
    ];
    for (const [call, field] of cases) expect(await violationsOf(call)).toEqual([field]);
  });

  it('answers a gRPC request without the field that names its resource INVALID_ARGUMENT naming it, not NOT_FOUND of ""', async () => {
    const grpc = grpcClients(stack);
    const cases: [Promise<unknown>, string][] = [
      [grpc.tenants.getTenant({}), 'name'],
      [grpc.projects.getProject({}), 'name'],
      [grpc.models.listModels({}), 'project'],
      [grpc.operations.getOperation({}), 'id'],
    ];
    for (const [call, field] of cases) expect(await violationsOf(call)).toEqual([field]);
  });

  it('refuses an update_mask path that names no field of the request (AIP-134), instead of ignoring it', async () => {
    const grpc = grpcClients(stack);
    const call = grpc.projects.updateProject({ name: 'any', description: 'x', updateMask: { paths: ['description', 'bogus_field'] } });
    expect(await violationsOf(call, 'names no field of UpdateProjectRequest: bogus_field')).toEqual(['update_mask']);
  });

  it('takes tab and newline in free text but no other control character', async () => {
    const body = (description: string) => jsonRequest({ name: uniqueName('txt'), display_name: 'Text', tenantId: uniqueName('none'), description });
    expect(await fields(await stack.app.request('/api/v1/projects', body('line one\u0007')))).toEqual(['body.description']);
    // Valid text gets past validation: the tenant does not exist, which only the workflow finds out.
    const ok = await stack.appWith({ mutationWaitMs: 0 }).request('/api/v1/projects', body('line one\n\tline two\r\n'));
    expect(ok.status).toBe(202);
  });

  it('refuses a request without the body its route requires, rather than reading none as all defaults', async () => {
    // Before: the validator read no body as `{}`, so a schema of defaults (a cleanup policy) took it.
    expect(await fields(await stack.app.request('/api/v1/tenants', { method: 'POST' }))).toEqual(['body']);
    expect(await fields(await stack.app.request('/api/v1/tenants', { method: 'POST', headers: { 'content-length': '0' } }))).toEqual(['body']);
  });
});
