import type { Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, type EmulatorContext, notFound, operation, paged } from '../context';
import { runRetention } from '../retention';
import type { RetentionExecutionState } from '../state';

/**
 * Tag retention policies, one per project, linked through the project's `retention_id` metadata,
 * and their executions (retention.ts runs them in the background, as Harbor's job service does).
 */
export function retentionRoutes(app: Hono, ctx: EmulatorContext) {
  executionRoutes(app, ctx);
  const check = (req: HarborSchemas['RetentionPolicy']) => {
    if (req.scope?.level !== 'project' || !req.scope.ref) throw badRequest('scope must be a project');
    const p = [...ctx.state.projects.values()].find((x) => x.project.project_id === req.scope!.ref);
    if (!p) throw badRequest(`project ${req.scope.ref} not found`);
    return p;
  };

  app.post('/retentions', operation(ctx, 'createRetention', async (c) => {
    const req = (await c.req.json()) as HarborSchemas['RetentionPolicy'];
    const p = check(req);
    if (p.project.metadata?.retention_id) throw badRequest(`project ${p.project.name} already has retention policy ${p.project.metadata.retention_id}`);
    const id = ctx.state.nextId();
    ctx.state.retentions.set(id, { ...req, id, algorithm: req.algorithm ?? 'or', rules: req.rules ?? [] });
    p.project.metadata = { ...p.project.metadata, retention_id: String(id) };
    return { status: 201, headers: { location: `/api/v2.0/retentions/${id}` } };
  }));

  app.get('/retentions/:id', operation(ctx, 'getRetention', (c) => {
    const r = ctx.state.retentions.get(Number(c.req.param('id')));
    if (!r) throw notFound(`retention ${c.req.param('id')} not found`);
    return { status: 200, body: r };
  }));

  app.put('/retentions/:id', operation(ctx, 'updateRetention', async (c) => {
    const id = Number(c.req.param('id'));
    if (!ctx.state.retentions.has(id)) throw notFound(`retention ${id} not found`);
    const req = (await c.req.json()) as HarborSchemas['RetentionPolicy'];
    check(req);
    ctx.state.retentions.set(id, { ...req, id });
    return { status: 200 };
  }));

  app.delete('/retentions/:id', operation(ctx, 'deleteRetention', (c) => {
    const id = Number(c.req.param('id'));
    const r = ctx.state.retentions.get(id);
    if (!r) throw notFound(`retention ${id} not found`);
    ctx.state.retentions.delete(id);
    const p = [...ctx.state.projects.values()].find((x) => x.project.project_id === r.scope?.ref);
    if (p?.project.metadata) delete p.project.metadata.retention_id;
    return { status: 200 };
  }));
}

/** Executions and tasks of a retention policy. */
function executionRoutes(app: Hono, ctx: EmulatorContext) {
  /** Executions asked to stop (`PATCH …/executions/{eid}` with `stop`). */
  const stops = new Set<number>();
  const policyOf = (id: string | undefined) => {
    const policy = ctx.state.retentions.get(Number(id));
    if (!policy) throw notFound(`retention ${id} not found`);
    return policy;
  };
  const executionOf = (policyId: number, eid: string | undefined) => {
    const execution = ctx.state.retentionExecutions.get(Number(eid));
    if (!execution || execution.policy_id !== policyId) throw notFound(`retention execution ${eid} not found`);
    return execution;
  };
  // Harbor's execution row without what it keeps beside (the operator goes to webhooks only).
  const toExecution = ({ operator: _operator, ...e }: RetentionExecutionState) => e;

  app.post('/retentions/:id/executions', operation(ctx, 'triggerRetentionExecution', async (c) => {
    const policy = policyOf(c.req.param('id'));
    const { dry_run: dryRun } = (await c.req.json().catch(() => ({}))) as { dry_run?: boolean };
    const id = ctx.state.nextId();
    const execution = { id, policy_id: policy.id!, start_time: ctx.clock.now(), end_time: '', status: 'Running', trigger: 'MANUAL', dry_run: dryRun === true, operator: 'admin' };
    ctx.state.retentionExecutions.set(id, execution);
    ctx.jobs.run(async () => {
      try {
        await runRetention(ctx, policy, execution, () => stops.has(id));
      } catch (err) {
        Object.assign(execution, { status: 'Error', end_time: ctx.clock.now() });
        throw err;
      } finally {
        stops.delete(id);
      }
    });
    return { status: 201, headers: { location: `/api/v2.0/retentions/${policy.id}/executions/${id}` } };
  }));

  app.get('/retentions/:id/executions', operation(ctx, 'listRetentionExecutions', (c) => {
    const policy = policyOf(c.req.param('id'));
    const executions = [...ctx.state.retentionExecutions.values()].filter((e) => e.policy_id === policy.id).sort((a, b) => b.id - a.id);
    return paged(c, executions.map(toExecution));
  }));

  app.patch('/retentions/:id/executions/:eid', operation(ctx, 'operateRetentionExecution', async (c) => {
    const execution = executionOf(policyOf(c.req.param('id')).id!, c.req.param('eid'));
    const { action } = (await c.req.json()) as { action?: string };
    if (action !== 'stop') throw badRequest(`unsupported action ${action}`);
    if (execution.status === 'Running') stops.add(execution.id);
    return { status: 200 };
  }));

  app.get('/retentions/:id/executions/:eid/tasks', operation(ctx, 'listRetentionTasks', (c) => {
    const execution = executionOf(policyOf(c.req.param('id')).id!, c.req.param('eid'));
    return paged(c, [...ctx.state.retentionTasks.values()].filter((t) => t.task.execution_id === execution.id).map((t) => t.task));
  }));

  app.get('/retentions/:id/executions/:eid/tasks/:tid', operation(ctx, 'getRetentionTaskLog', (c) => {
    const execution = executionOf(policyOf(c.req.param('id')).id!, c.req.param('eid'));
    const t = ctx.state.retentionTasks.get(Number(c.req.param('tid')));
    if (!t || t.task.execution_id !== execution.id) throw notFound(`retention task ${c.req.param('tid')} not found`);
    return { status: 200, body: t.log.join('\n'), headers: { 'content-type': 'text/plain' } };
  }));
}
