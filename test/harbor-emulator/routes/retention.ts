import type { Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, type EmulatorContext, notFound, operation } from '../context';

/** Tag retention policies, one per project, linked through the project's `retention_id` metadata. */
export function retentionRoutes(app: Hono, ctx: EmulatorContext) {
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
