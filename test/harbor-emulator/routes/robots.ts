import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, conflict, type EmulatorContext, notFound, now, operation, paged } from '../context';

const secret = () => randomBytes(24).toString('base64url');

export function robotRoutes(app: Hono, ctx: EmulatorContext) {
  const find = (id: string | undefined) => {
    const robot = ctx.state.robots.get(Number(id));
    if (!robot) throw notFound(`robot ${id} not found`);
    return robot;
  };
  /** Public view: Harbor never returns a robot's secret after creation or refresh. */
  const view = ({ projectId: _projectId, secret: _secret, ...robot }: HarborSchemas['Robot'] & { projectId: number }) => robot;

  app.get('/robots', operation(ctx, 'ListRobot', (c) => {
    // Harbor's `q` syntax, e.g. `Level=project,ProjectID=3`.
    const q = Object.fromEntries((c.req.query('q') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
    const robots = [...ctx.state.robots.values()].filter((r) => (!q.Level || r.level === q.Level) && (!q.ProjectID || r.projectId === Number(q.ProjectID)));
    return paged(c, robots.map(view));
  }));

  app.post('/robots', operation(ctx, 'CreateRobot', async (c) => {
    const req = (await c.req.json()) as HarborSchemas['RobotCreate'];
    if (!req.name || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(req.name)) throw badRequest(`invalid robot name ${req.name}`);
    if (req.level !== 'project' && req.level !== 'system') throw badRequest(`invalid level ${req.level}`);
    const namespace = req.permissions?.[0]?.namespace ?? '';
    const p = req.level === 'project' ? ctx.state.projects.get(namespace) : undefined;
    if (req.level === 'project' && !p) throw notFound(`project ${namespace} not found`);
    const fullName = req.level === 'project' ? `robot$${namespace}+${req.name}` : `robot$${req.name}`;
    if ([...ctx.state.robots.values()].some((r) => r.name === fullName)) throw conflict(`robot account ${fullName} already exists`);
    const id = ctx.state.nextId();
    const stamp = now();
    const duration = req.duration ?? -1;
    const expiresAt = duration === -1 ? -1 : Math.floor(Date.now() / 1000) + duration * 86400;
    const robotSecret = req.secret || secret();
    ctx.state.robots.set(id, {
      id,
      name: fullName,
      description: req.description ?? '',
      secret: robotSecret,
      level: req.level,
      duration,
      editable: true,
      disable: req.disable ?? false,
      expires_at: expiresAt,
      permissions: req.permissions ?? [],
      creator_type: 'local',
      creator_ref: 1,
      creation_time: stamp,
      update_time: stamp,
      projectId: p?.project.project_id ?? 0,
    });
    const created: HarborSchemas['RobotCreated'] = { id, name: fullName, secret: robotSecret, creation_time: stamp, expires_at: expiresAt };
    return { status: 201, body: created, headers: { location: `/api/v2.0/robots/${id}` } };
  }));

  app.get('/robots/:robot_id', operation(ctx, 'GetRobotByID', (c) => ({ status: 200, body: view(find(c.req.param('robot_id'))) })));

  app.patch('/robots/:robot_id', operation(ctx, 'RefreshSec', async (c) => {
    const robot = find(c.req.param('robot_id'));
    const body = (await c.req.json().catch(() => ({}))) as HarborSchemas['RobotSec'];
    robot.secret = body.secret || secret();
    robot.update_time = now();
    return { status: 200, body: { secret: robot.secret } };
  }));

  app.delete('/robots/:robot_id', operation(ctx, 'DeleteRobot', (c) => {
    find(c.req.param('robot_id'));
    ctx.state.robots.delete(Number(c.req.param('robot_id')));
    return { status: 200 };
  }));
}
