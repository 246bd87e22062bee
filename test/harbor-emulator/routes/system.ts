import type { Hono } from 'hono';
import { badRequest, conflict, type EmulatorContext, notFound, operation, paged } from '../context';

/** User groups, /ping, /health and /systeminfo. */
export function systemRoutes(app: Hono, ctx: EmulatorContext) {
  app.get('/ping', operation(ctx, 'getPing', () => ({ status: 200, body: 'Pong' })));

  app.get('/health', operation(ctx, 'getHealth', () => ({
    status: 200,
    body: {
      status: 'healthy',
      components: ['core', 'database', 'jobservice', 'portal', 'redis', 'registry', 'registryctl', 'trivy'].map((name) => ({ name, status: 'healthy' })),
    },
  })));

  app.get('/systeminfo', operation(ctx, 'getSystemInfo', () => ({
    status: 200,
    body: {
      current_time: new Date().toISOString(),
      registry_url: ctx.registryAddress(),
      external_url: `http://${ctx.registryAddress()}`,
      auth_mode: 'oidc_auth',
      primary_auth_mode: false,
      project_creation_restriction: 'adminonly',
      self_registration: false,
      has_ca_root: false,
      harbor_version: 'v2.15.2-emulator',
      registry_storage_provider_name: 'filesystem',
      read_only: false,
      notification_enable: true,
      oidc_provider_name: 'keycloak',
    },
  })));

  app.get('/usergroups', operation(ctx, 'listUserGroups', (c) => {
    const name = c.req.query('group_name');
    return paged(c, [...ctx.state.userGroups.values()].filter((g) => !name || g.group_name === name));
  }));

  app.post('/usergroups', operation(ctx, 'createUserGroup', async (c) => {
    const req = (await c.req.json()) as { group_name?: string; group_type?: number };
    if (!req.group_name || !req.group_type) throw badRequest('group_name and group_type are required');
    if ([...ctx.state.userGroups.values()].some((g) => g.group_name === req.group_name)) throw conflict(`user group ${req.group_name} already exists`);
    const id = ctx.state.nextId();
    ctx.state.userGroups.set(id, { id, group_name: req.group_name, group_type: req.group_type, ldap_group_dn: '' });
    return { status: 201, headers: { location: `/api/v2.0/usergroups/${id}` } };
  }));

  app.get('/usergroups/:group_id', operation(ctx, 'getUserGroup', (c) => {
    const g = ctx.state.userGroups.get(Number(c.req.param('group_id')));
    if (!g) throw notFound(`user group ${c.req.param('group_id')} not found`);
    return { status: 200, body: g };
  }));

  app.delete('/usergroups/:group_id', operation(ctx, 'deleteUserGroup', (c) => {
    if (!ctx.state.userGroups.delete(Number(c.req.param('group_id')))) throw notFound(`user group ${c.req.param('group_id')} not found`);
    return { status: 200 };
  }));
}
