import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { operationMessage } from '../../api/grpc/convert';
import { codeOf, fieldPathOf, problemError } from '../../api/grpc/errors';
import { problemBody } from '../../api/problem';
import { BadRequestSchema } from '../../gen/google/rpc/error_details_pb';
import { ListProjectsRequestSchema, OnboardProjectRequestSchema, UpdateProjectRequestSchema } from '../../gen/modelregistry/v1/projects_pb';
import { UpdateModelRequestSchema } from '../../gen/modelregistry/v1/models_pb';
import { SetCleanupPolicyRequestSchema } from '../../gen/modelregistry/v1/cleanup_pb';
import { UpdateCheckpointRequestSchema } from '../../gen/modelregistry/v1/checkpoints_pb';
import { SetMembersRequestSchema } from '../../gen/modelregistry/v1/members_pb';
import { CreateUserRequestSchema } from '../../gen/modelregistry/v1/users_pb';
import { CreateUpstreamRequestSchema, SetVirtualRegistryUpstreamsRequestSchema } from '../../gen/modelregistry/v1/virtual_registries_pb';

describe('problems as gRPC statuses', () => {
  it('maps each problem to its code, never UNKNOWN', () => {
    const cases: [number, string, Code][] = [
      [400, 'validation', Code.InvalidArgument],
      [401, 'unauthorized', Code.Unauthenticated],
      [403, 'forbidden', Code.PermissionDenied],
      [404, 'not-found', Code.NotFound],
      [409, 'conflict', Code.AlreadyExists], // a workflow's Conflict, or a request's: it exists
      [409, 'failed-precondition', Code.FailedPrecondition], // a workflow's FailedPrecondition, or a request's: in use, already running
      [409, 'operation-in-progress', Code.Aborted],
      [409, 'state', Code.FailedPrecondition],
      [412, 'precondition', Code.FailedPrecondition],
      [413, 'payload-too-large', Code.ResourceExhausted],
      [422, 'idempotency-key-reused', Code.InvalidArgument], // the key came with another request
      [502, 'operation-failed', Code.Unavailable],
      [502, 'harbor-unavailable', Code.Unavailable],
      [503, 'issuer-unavailable', Code.Unavailable],
      [503, 'not-configured', Code.Unavailable], // Keycloak, for users and members
      [504, 'timeout', Code.Unavailable], // a user read no worker finished
      [500, 'internal', Code.Internal],
      [418, 'teapot', Code.Internal],
    ];
    for (const [status, slug, code] of cases) expect(codeOf(problemBody(status, slug, 't')), `${status} ${slug}`).toBe(code);
  });

  it("names REST's fields as the request's proto field paths", () => {
    expect(fieldPathOf('body.display_name', OnboardProjectRequestSchema)).toBe('display_name');
    expect(fieldPathOf('body.tenantId', OnboardProjectRequestSchema)).toBe('tenant_id');
    expect(fieldPathOf('body.robot.durationDays', OnboardProjectRequestSchema)).toBe('robot.duration_days');
    expect(fieldPathOf('body.members.0.role', OnboardProjectRequestSchema)).toBe('members.0.role');
    expect(fieldPathOf('body.settings.autoScan', UpdateProjectRequestSchema)).toBe('settings.auto_scan');
    expect(fieldPathOf('query.limit', ListProjectsRequestSchema)).toBe('page_size');
    expect(fieldPathOf('query.cursor', ListProjectsRequestSchema)).toBe('page_token');
    expect(fieldPathOf('query.namePrefix', ListProjectsRequestSchema)).toBe('name_prefix');
    expect(fieldPathOf('body.customMetadata.Some Key', UpdateModelRequestSchema)).toBe('custom_metadata.Some Key');
    expect(fieldPathOf('header.idempotency-key', OnboardProjectRequestSchema)).toBe('idempotency-key');
    expect(fieldPathOf('body.cacheValidityHours', CreateUpstreamRequestSchema)).toBe('cache_validity_hours');
    expect(fieldPathOf('body.credential.password', CreateUpstreamRequestSchema)).toBe('credential.password');
    expect(fieldPathOf('body.upstreams.2.position', SetVirtualRegistryUpstreamsRequestSchema)).toBe('upstreams.2.position');
    expect(fieldPathOf('body.policy.rules.0.olderThanDays', SetCleanupPolicyRequestSchema)).toBe('policy.rules.0.older_than_days');
    expect(fieldPathOf('body.firstName', CreateUserRequestSchema)).toBe('first_name');
    expect(fieldPathOf('body.members.limited-guest.0', SetMembersRequestSchema)).toBe('members.limited_guest.0');
    expect(fieldPathOf('body.metrics.val loss', UpdateCheckpointRequestSchema)).toBe('metrics.val loss');
  });

  it('carries field violations, the title and detail, the problem type and the REST headers', () => {
    const problem = problemBody(400, 'validation', 'Request validation failed', 'body.tenantId: required', { errors: [{ field: 'body.tenantId', message: 'required', code: 'invalid_type' }] });
    const error = problemError(problem, OnboardProjectRequestSchema, { 'X-Operation-Id': 'op-1' });
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe('Request validation failed: tenant_id: required');
    expect(error.metadata.get('problem-type')).toBe(problem.type);
    expect(error.metadata.get('x-operation-id')).toBe('op-1');
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations).toEqual([expect.objectContaining({ field: 'tenant_id', description: 'required', reason: 'invalid_type' })]);
  });

  it('names update_mask for an update that sets nothing (REST: the whole body)', () => {
    const problem = problemBody(400, 'validation', 'Request validation failed', 'body: set at least one field', { errors: [{ field: 'body', message: 'set at least one field', code: 'custom' }] });
    expect(problemError(problem, UpdateCheckpointRequestSchema).findDetails(BadRequestSchema)[0]?.fieldViolations).toEqual([expect.objectContaining({ field: 'update_mask' })]);
    expect(problemError(problem, OnboardProjectRequestSchema).findDetails(BadRequestSchema)[0]?.fieldViolations).toEqual([expect.objectContaining({ field: '' })]);
  });

  it("shows a running operation's progress (REST's Operation.progress) in its metadata", () => {
    const view = { id: 'op-1', kind: 'virtualRegistryWarmWorkflow', status: 'running' as const, startedAt: '2026-12-04T10:00:00.000Z', closedAt: null, progress: { status: 'fetching', blobsDone: 1, blobsTotal: 3 } };
    const op = operationMessage(view);
    expect(op.done).toBe(false);
    expect(op.metadata?.progress?.kind).toEqual({ case: 'structValue', value: expect.anything() });
    expect(op.metadata?.progress?.kind.case === 'structValue' && op.metadata.progress.kind.value.fields.blobsDone?.kind).toEqual({ case: 'numberValue', value: 1 });
    expect(operationMessage({ ...view, progress: undefined }).metadata?.progress).toBeUndefined();
  });
});
