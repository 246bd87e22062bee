import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { refreshWorkflowId } from '../../lib/workflow-ids';
import type { RefreshInput, RefreshResult } from '../../workflows/refresh';
import { ModelName, OperationKind, ProjectName } from '../../lib/search-attributes';
import type { MutationDeps } from '../operations';
import { unknownRegistryProblem, validationHook } from '../problem';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, problem } from '../schemas/common';
import { line } from '../../lib/text';

const RefreshResultSchema = z
  .object({ repositories: z.array(z.object({ name: z.string(), added: z.number().int(), updated: z.number().int(), archived: z.number().int() })) })
  .openapi('RefreshResult');
const RegistryQuery = z.object({ registry: line().max(255).optional() });
const responses = {
  200: { description: 'The catalogue now matches Harbor; what changed', content: { 'application/json': { schema: RefreshResultSchema } } },
  202: acceptedResponse,
  400: problem('Unknown registry'),
  404: problem('No such project, or no such model in Harbor'),
  409: problem('A refresh of it is running with other parameters'),
};

const refreshModel = createRoute({
  method: 'post',
  path: '/models/{project}/{model}',
  tags: ['Models'],
  summary: 'Refresh one model from Harbor (runbook "Refreshing Model Data")',
  request: { params: z.object({ project: line().min(1).max(255), model: line().min(1).max(255) }), query: RegistryQuery, headers: IdempotencyKeyHeader },
  responses,
});

const refreshProject = createRoute({
  method: 'post',
  path: '/projects/{name}/refresh',
  tags: ['Projects'],
  summary: 'Refresh every model of a project from Harbor',
  request: { params: z.object({ name: line().min(1).max(255) }), query: RegistryQuery, headers: IdempotencyKeyHeader },
  responses,
});

export function createModelsRouter(deps: { mutations: MutationDeps; registries: string[] }) {
  const router = new OpenAPIHono({ defaultHook: validationHook });

  async function refresh(c: Context, requested: string | undefined, project: string, model: string | undefined, idempotencyKey: string | undefined) {
    const registry = requested ?? deps.registries[0];
    if (!registry || !deps.registries.includes(registry)) return unknownRegistryProblem(c, deps.registries, requested, 'query.registry');
    const input: RefreshInput = { registry, project, ...(model ? { model } : {}) };
    const outcome = await mutationResponse(c, deps.mutations, {
      workflowType: 'refreshWorkflow',
      workflowId: refreshWorkflowId(registry, project, model),
      args: [input],
      idempotencyKey,
      searchAttributes: [{ key: ProjectName, value: project }, ...(model ? [{ key: ModelName, value: model }] : []), { key: OperationKind, value: model ? 'model.refresh' : 'project.refresh' }],
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result as RefreshResult, 200);
  }

  router.openapi(refreshModel, (c) => {
    const { project, model } = c.req.valid('param');
    return refresh(c, c.req.valid('query').registry, project, model, c.req.valid('header')['idempotency-key']);
  });
  router.openapi(refreshProject, (c) => refresh(c, c.req.valid('query').registry, c.req.valid('param').name, undefined, c.req.valid('header')['idempotency-key']));
  return router;
}
