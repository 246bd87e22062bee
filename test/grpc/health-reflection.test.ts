import { execFile, execFileSync } from 'node:child_process';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { create, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Serving } from '../../gen/grpc/health/v1/health_pb';
import { ServerReflection, type ServerReflectionRequest, ServerReflectionRequestSchema } from '../../gen/grpc/reflection/v1/reflection_pb';
import { createTenant, onboardProject } from '../support/fixtures';
import { grpcClients } from '../support/grpc';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

const run = promisify(execFile);
const ensureScript = fileURLToPath(new URL('../../scripts/ensure-grpcurl.sh', import.meta.url));

describe('gRPC health and reflection', () => {
  let stack: TestStack;
  let grpcurl: string;
  beforeAll(async () => {
    // Built once per machine by `go install` (about 2 minutes the first time).
    grpcurl = execFileSync('bash', [ensureScript], { encoding: 'utf8', timeout: 600_000 }).trim();
    stack = await startTestStack();
  }, 660_000);
  afterAll(() => stack?.close());

  it('reports SERVING for the server and each service while the database and Temporal answer (like /readyz)', async () => {
    const health = createClient(Health, grpcClients(stack, '').transport);
    expect((await health.check({ service: '' })).status).toBe(Serving.SERVING);
    expect((await health.check({ service: 'modelregistry.v1.ModelService' })).status).toBe(Serving.SERVING);
    const unknown = await health.check({ service: 'no.such.Service' }).catch((e: unknown) => ConnectError.from(e));
    expect(unknown).toBeInstanceOf(ConnectError);
    expect((unknown as ConnectError).code).toBe(Code.NotFound);
    // Watch answers the status at once (then at each change): the first message, then the caller leaves.
    for await (const answer of health.watch({ service: '' })) {
      expect(answer.status).toBe(Serving.SERVING);
      break;
    }
  });

  it('answers Connect JSON too, an operation\'s Any response included (curl with JSON, no generated client)', async () => {
    const session = http2.connect(`http://${stack.grpcAddress}`);
    const call = (path: string, body: unknown) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', authorization: `Bearer ${stack.auth.adminToken}` });
        let text = '';
        req.on('response', (headers) => {
          req.on('data', (chunk: Buffer) => (text += chunk.toString()));
          req.on('end', () => resolve({ status: Number(headers[':status']), body: JSON.parse(text) as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    try {
      const name = uniqueName('connect');
      const created = await call('/modelregistry.v1.TenantService/CreateTenant', { name, companyName: 'Acme', url: 'https://acme.example' });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      expect(created.body).toMatchObject({ done: true, response: { '@type': 'type.googleapis.com/modelregistry.v1.Tenant', name } });
      const operation = await call('/modelregistry.v1.OperationService/GetOperation', { id: created.body.id });
      expect(operation.status, JSON.stringify(operation.body)).toBe(200);
      expect(operation.body).toMatchObject({ response: { '@type': 'type.googleapis.com/google.protobuf.Value' } });
      // A field the message does not have is refused, as REST refuses it, not dropped unseen.
      const unknown = await call('/modelregistry.v1.TenantService/GetTenant', { name, nmae: name });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('nmae') });
    } finally {
      session.close();
    }
  });

  it('lists the services and answers the files of a symbol with every import, enough to call without the protos', async () => {
    const reflection = createClient(ServerReflection, grpcClients(stack, '').transport);
    async function* requests(): AsyncIterable<ServerReflectionRequest> {
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: 'listServices', value: '' } });
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: 'fileContainingSymbol', value: 'modelregistry.v1.ProjectService.OnboardProject' } });
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: 'fileContainingSymbol', value: 'modelregistry.v1.Nope' } });
    }
    const answers = [];
    for await (const answer of reflection.serverReflectionInfo(requests())) answers.push(answer);
    expect(answers).toHaveLength(3);
    const [list, file, missing] = answers;
    expect(list!.messageResponse.case).toBe('listServicesResponse');
    const names = list!.messageResponse.case === 'listServicesResponse' ? list!.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining(['modelregistry.v1.TenantService', 'modelregistry.v1.ProjectService', 'modelregistry.v1.ModelService', 'modelregistry.v1.OperationService', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']));
    expect(file!.messageResponse.case).toBe('fileDescriptorResponse');
    const protos = file!.messageResponse.case === 'fileDescriptorResponse' ? file!.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b)) : [];
    expect(protos.map((f) => f.name)).toEqual(expect.arrayContaining(['modelregistry/v1/projects.proto', 'modelregistry/v1/operations.proto', 'google/rpc/status.proto', 'google/protobuf/any.proto']));
    // The requested file first (as grpc-go answers), then its imports, all of them: no file names one not sent.
    expect(protos[0]?.name).toBe('modelregistry/v1/projects.proto');
    const sent = new Set(protos.map((f) => f.name));
    expect(protos.flatMap((f) => f.dependency).filter((name) => !sent.has(name))).toEqual([]);
    expect(protos[0]!.service.find((s) => s.name === 'ProjectService')?.method.map((m) => m.name)).toContain('OnboardProject');
    expect(missing!.messageResponse.case).toBe('errorResponse');
  });

  it('works with grpcurl: lists services through reflection and calls one with a token', async () => {
    const tenant = await createTenant(stack);
    const list = await run(grpcurl, ['-plaintext', stack.grpcAddress, 'list']);
    expect(list.stdout.split('\n')).toEqual(expect.arrayContaining(['modelregistry.v1.TenantService', 'grpc.health.v1.Health']));
    const describe = await run(grpcurl, ['-plaintext', stack.grpcAddress, 'describe', 'modelregistry.v1.TenantService.GetTenant']);
    expect(describe.stdout).toContain('rpc GetTenant ( .modelregistry.v1.GetTenantRequest ) returns ( .modelregistry.v1.Tenant )');
    const got = await run(grpcurl, ['-plaintext', '-H', `authorization: Bearer ${stack.auth.adminToken}`, '-d', JSON.stringify({ name: tenant }), stack.grpcAddress, 'modelregistry.v1.TenantService/GetTenant']);
    expect(JSON.parse(got.stdout)).toMatchObject({ name: tenant, companyName: 'Acme' });
    const denied = await run(grpcurl, ['-plaintext', '-d', JSON.stringify({ name: tenant }), stack.grpcAddress, 'modelregistry.v1.TenantService/GetTenant']).catch((e: { stderr: string }) => e);
    expect((denied as { stderr: string }).stderr).toMatch(/Code: Unauthenticated/);
    // Field violations decoded through reflection, named as the request's fields.
    const invalid = (await run(grpcurl, ['-plaintext', '-H', `authorization: Bearer ${stack.auth.adminToken}`, '-d', JSON.stringify({ name: 'BAD NAME' }), stack.grpcAddress, 'modelregistry.v1.TenantService/CreateTenant']).catch((e: { stderr: string }) => e)) as { stderr: string };
    expect(invalid.stderr).toMatch(/Code: InvalidArgument/);
    expect(invalid.stderr).toMatch(/"fieldViolations"/);
    expect(invalid.stderr).toMatch(/"field": "company_name"/);
    expect(invalid.stderr).not.toMatch(/body\./);
    const health = await run(grpcurl, ['-plaintext', stack.grpcAddress, 'grpc.health.v1.Health/Check']);
    expect(JSON.parse(health.stdout)).toEqual({ status: 'SERVING' });
    // The README's update_mask call: grpcurl takes the FieldMask as {"paths": [...]}.
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('mask') });
    const body = { name: project, members: [{ group: 'ml-team', role: 'developer' }], updateMask: { paths: ['members'] } };
    const updated = await run(grpcurl, ['-plaintext', '-H', `authorization: Bearer ${stack.auth.adminToken}`, '-d', JSON.stringify(body), stack.grpcAddress, 'modelregistry.v1.ProjectService/UpdateProject']);
    expect(JSON.parse(updated.stdout)).toMatchObject({ done: true });
    expect(stack.harbor.emulator.state.projects.get(project)!.members.filter((m) => m.entity_type === 'g').map((m) => [m.entity_name, m.role_id])).toContainEqual(['ml-team', 2]);
  });

  it('serves the replication, promotion and storage services and ListRegistryModels through reflection, each file with its imports', async () => {
    const reflection = createClient(ServerReflection, grpcClients(stack, '').transport);
    const symbols = ['modelregistry.v1.ReplicationService', 'modelregistry.v1.PromotionService', 'modelregistry.v1.StorageService', 'modelregistry.v1.RegistryService.ListRegistryModels'];
    async function* requests(): AsyncIterable<ServerReflectionRequest> {
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: 'listServices', value: '' } });
      for (const symbol of symbols) yield create(ServerReflectionRequestSchema, { messageRequest: { case: 'fileContainingSymbol', value: symbol } });
    }
    const answers = [];
    for await (const answer of reflection.serverReflectionInfo(requests())) answers.push(answer);
    const [list, ...files] = answers;
    const names = list?.messageResponse.case === 'listServicesResponse' ? list.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining(symbols.slice(0, 3)));
    const protos = files.map((f) => (f.messageResponse.case === 'fileDescriptorResponse' ? f.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b)) : []));
    expect(protos.map((p) => p[0]?.name)).toEqual(['replications', 'promotions', 'storage', 'registries'].map((f) => `modelregistry/v1/${f}.proto`));
    for (const sent of protos) expect(sent.flatMap((f) => f.dependency).filter((name) => !sent.some((f) => f.name === name))).toEqual([]);
  });
});
