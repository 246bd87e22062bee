import type { Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, conflict, type EmulatorContext, notFound, now, operation, paged, PROJECT_NAME } from '../context';
import type { ProjectState } from '../state';

const ROLE_NAMES: Record<number, string> = { 1: 'projectAdmin', 2: 'developer', 3: 'guest', 4: 'maintainer', 5: 'limitedGuest' };

/** Harbor stores project metadata values as strings ("true"/"false"). */
function metadataOf(req: HarborSchemas['ProjectReq'], previous: HarborSchemas['ProjectMetadata'] = {}): HarborSchemas['ProjectMetadata'] {
  const merged: Record<string, string> = { ...(previous as Record<string, string>) };
  for (const [key, value] of Object.entries(req.metadata ?? {})) if (value !== undefined && value !== null) merged[key] = String(value);
  if (req.public !== undefined && req.public !== null) merged.public = String(req.public);
  merged.public ??= 'false';
  return merged;
}

export function project(ctx: EmulatorContext, c: { req: { param(name: string): string | undefined; header(name: string): string | undefined } }): ProjectState {
  const nameOrId = c.req.param('project_name_or_id');
  // Harbor's `{project_name}` routes (repositories, artifacts) take a name, digits or not; only `{project_name_or_id}` takes an id.
  const key = nameOrId ?? c.req.param('project_name') ?? '';
  const found = ctx.state.projectByNameOrId(key, nameOrId === undefined || c.req.header('x-is-resource-name') === 'true');
  if (!found) throw notFound(`project ${key} not found`);
  return found;
}

export function projectRoutes(app: Hono, ctx: EmulatorContext) {
  const listProjects = operation(ctx, 'listProjects', (c) => {
    const name = c.req.query('name');
    const items = [...ctx.state.projects.values()].map((p) => p.project).filter((p) => !name || p.name === name);
    return paged(c, items);
  });
  const headProject = operation(ctx, 'headProject', (c) => {
    const name = c.req.query('project_name') ?? '';
    if (!ctx.state.projects.has(name)) throw notFound(`project ${name} not found`);
    return { status: 200 };
  });
  // Hono dispatches HEAD to the GET route; the request keeps its real method.
  app.get('/projects', (c, next) => (c.req.method === 'HEAD' ? headProject(c, next) : listProjects(c, next)));

  app.post('/projects', operation(ctx, 'createProject', async (c) => {
    const req = (await c.req.json()) as HarborSchemas['ProjectReq'];
    const name = req.project_name ?? '';
    if (!PROJECT_NAME.test(name) || name.length > 255) throw badRequest(`project name is not in lower case or contains illegal characters: ${name}`);
    if (ctx.state.projects.has(name)) throw conflict(`The project named ${name} already exists`);
    const id = ctx.state.nextId();
    const stamp = now();
    ctx.state.projects.set(name, {
      project: {
        project_id: id,
        owner_id: 1,
        name,
        registry_id: req.registry_id ?? 0,
        creation_time: stamp,
        update_time: stamp,
        deleted: false,
        owner_name: 'admin',
        togglable: true,
        current_user_role_id: 1,
        current_user_role_ids: [1],
        repo_count: 0,
        metadata: metadataOf(req),
        cve_allowlist: { id: 0, project_id: id, items: [], creation_time: stamp, update_time: stamp },
      },
      storageLimit: req.storage_limit ?? -1,
      members: [{ id: ctx.state.nextId(), project_id: id, entity_name: 'admin', role_name: 'projectAdmin', role_id: 1, entity_id: 1, entity_type: 'u' }],
      webhookPolicies: [],
    });
    return { status: 201, headers: { location: `/api/v2.0/projects/${id}` } };
  }));

  app.get('/projects/:project_name_or_id', operation(ctx, 'getProject', (c) => {
    const p = project(ctx, c);
    p.project.repo_count = [...ctx.state.repositories.values()].filter((r) => r.projectId === p.project.project_id).length;
    return { status: 200, body: p.project };
  }));

  app.put('/projects/:project_name_or_id', operation(ctx, 'updateProject', async (c) => {
    const p = project(ctx, c);
    const req = (await c.req.json()) as HarborSchemas['ProjectReq'];
    p.project.metadata = metadataOf(req, p.project.metadata);
    if (req.storage_limit !== undefined && req.storage_limit !== null) p.storageLimit = req.storage_limit;
    p.project.update_time = now();
    return { status: 200 };
  }));

  app.delete('/projects/:project_name_or_id', operation(ctx, 'deleteProject', (c) => {
    const p = project(ctx, c);
    const repos = [...ctx.state.repositories.values()].filter((r) => r.projectId === p.project.project_id);
    // Harbor refuses to delete a project that still holds repositories (412 in v2.x).
    if (repos.length > 0) return { status: 412, body: { errors: [{ code: 'PRECONDITION', message: `the project contains repositories, can not be deleted` }] } };
    ctx.state.projects.delete(p.project.name!);
    for (const [id, robot] of ctx.state.robots) if (robot.projectId === p.project.project_id) ctx.state.robots.delete(id);
    return { status: 200 };
  }));

  app.get('/projects/:project_name_or_id/summary', operation(ctx, 'getProjectSummary', async (c) => {
    const p = project(ctx, c);
    const repos = [...ctx.state.repositories.values()].filter((r) => r.projectId === p.project.project_id);
    let used = 0;
    for (const repo of repos) {
      for (const tag of await ctx.oci.tags(repo.name)) {
        const m = await ctx.oci.manifest(repo.name, tag);
        if (m) used += m.size + (m.manifest.config?.size ?? 0) + (m.manifest.layers ?? []).reduce((s, l) => s + l.size, 0);
      }
    }
    const count = (role: number) => p.members.filter((m) => m.role_id === role).length;
    const summary: HarborSchemas['ProjectSummary'] = {
      repo_count: repos.length,
      project_admin_count: count(1),
      maintainer_count: count(4),
      developer_count: count(2),
      guest_count: count(3),
      limited_guest_count: count(5),
      quota: { hard: { storage: p.storageLimit }, used: { storage: used } },
    };
    return { status: 200, body: summary };
  }));

  app.get('/projects/:project_name_or_id/members', operation(ctx, 'listProjectMembers', (c) => {
    const entity = c.req.query('entityname');
    return paged(c, project(ctx, c).members.filter((m) => !entity || m.entity_name?.includes(entity)));
  }));

  app.post('/projects/:project_name_or_id/members', operation(ctx, 'createProjectMember', async (c) => {
    const p = project(ctx, c);
    const req = (await c.req.json()) as HarborSchemas['ProjectMember'];
    const role = req.role_id ?? 0;
    if (!ROLE_NAMES[role]) throw badRequest(`invalid role id ${role}`);
    const group = req.member_group;
    const user = req.member_user;
    const entityName = group?.group_name ?? user?.username;
    if (!entityName) throw badRequest('member_user or member_group is required');
    const entityType = group ? 'g' : 'u';
    if (p.members.some((m) => m.entity_name === entityName && m.entity_type === entityType)) throw conflict(`The member ${entityName} already exists in project`);
    let entityId = ctx.state.nextId();
    if (group) {
      const existing = [...ctx.state.userGroups.values()].find((g) => g.group_name === entityName);
      if (existing) entityId = existing.id!;
      else ctx.state.userGroups.set(entityId, { id: entityId, group_name: entityName, group_type: group.group_type ?? 3, ldap_group_dn: '' });
    }
    const id = ctx.state.nextId();
    p.members.push({ id, project_id: p.project.project_id, entity_name: entityName, role_name: ROLE_NAMES[role], role_id: role, entity_id: entityId, entity_type: entityType });
    return { status: 201, headers: { location: `/api/v2.0/projects/${p.project.project_id}/members/${id}` } };
  }));

  app.get('/projects/:project_name_or_id/members/:mid', operation(ctx, 'getProjectMember', (c) => {
    const member = project(ctx, c).members.find((m) => m.id === Number(c.req.param('mid')));
    if (!member) throw notFound(`member ${c.req.param('mid')} not found`);
    return { status: 200, body: member };
  }));

  app.put('/projects/:project_name_or_id/members/:mid', operation(ctx, 'updateProjectMember', async (c) => {
    const member = project(ctx, c).members.find((m) => m.id === Number(c.req.param('mid')));
    if (!member) throw notFound(`member ${c.req.param('mid')} not found`);
    const { role_id } = (await c.req.json()) as { role_id?: number };
    if (!role_id || !ROLE_NAMES[role_id]) throw badRequest(`invalid role id ${role_id}`);
    member.role_id = role_id;
    member.role_name = ROLE_NAMES[role_id];
    return { status: 200 };
  }));

  app.delete('/projects/:project_name_or_id/members/:mid', operation(ctx, 'deleteProjectMember', (c) => {
    const p = project(ctx, c);
    const before = p.members.length;
    p.members = p.members.filter((m) => m.id !== Number(c.req.param('mid')));
    if (p.members.length === before) throw notFound(`member ${c.req.param('mid')} not found`);
    return { status: 200 };
  }));

}
