import type { Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, conflict, type EmulatorContext, notFound, now, operation, paged } from '../context';
import { CLOUDEVENT_TYPES } from '../webhooks';
import { project } from './projects';

function checkPolicy(policy: HarborSchemas['WebhookPolicy']) {
  if (!policy.name) throw badRequest('name is required');
  if (!policy.targets?.length) throw badRequest('at least one target is required');
  for (const target of policy.targets) {
    if (target.type !== 'http') throw badRequest(`unsupported target type ${target.type}`);
    if (!target.address || !/^https?:\/\//.test(target.address)) throw badRequest(`invalid address ${target.address}`);
    if (target.payload_format && target.payload_format !== 'Default' && target.payload_format !== 'CloudEvents') throw badRequest(`invalid payload format ${target.payload_format}`);
  }
  for (const type of policy.event_types ?? []) if (!CLOUDEVENT_TYPES[type]) throw badRequest(`invalid event type ${type}`);
}

export function webhookPolicyRoutes(app: Hono, ctx: EmulatorContext) {
  const base = '/projects/:project_name_or_id/webhook/policies';
  const find = (c: Parameters<typeof project>[1]) => {
    const p = project(ctx, c);
    const policy = p.webhookPolicies.find((w) => w.id === Number(c.req.param('webhook_policy_id')));
    if (!policy) throw notFound(`webhook policy ${c.req.param('webhook_policy_id')} not found`);
    return { p, policy };
  };

  app.get(base, operation(ctx, 'ListWebhookPoliciesOfProject', (c) => paged(c, project(ctx, c).webhookPolicies)));

  app.post(base, operation(ctx, 'CreateWebhookPolicyOfProject', async (c) => {
    const p = project(ctx, c);
    const policy = (await c.req.json()) as HarborSchemas['WebhookPolicy'];
    checkPolicy(policy);
    if (p.webhookPolicies.some((w) => w.name === policy.name)) throw conflict(`webhook policy ${policy.name} already exists`);
    const id = ctx.state.nextId();
    const stamp = now();
    p.webhookPolicies.push({
      id,
      name: policy.name,
      description: policy.description ?? '',
      project_id: p.project.project_id,
      targets: policy.targets!.map((t) => ({ type: 'http', address: t.address, auth_header: t.auth_header ?? '', skip_cert_verify: t.skip_cert_verify ?? false, payload_format: t.payload_format ?? 'Default' })),
      event_types: policy.event_types ?? [],
      creator: 'admin',
      creation_time: stamp,
      update_time: stamp,
      enabled: policy.enabled ?? true,
    });
    return { status: 201, headers: { location: `/api/v2.0/projects/${p.project.project_id}/webhook/policies/${id}` } };
  }));

  app.get(`${base}/:webhook_policy_id`, operation(ctx, 'GetWebhookPolicyOfProject', (c) => ({ status: 200, body: find(c).policy })));

  app.put(`${base}/:webhook_policy_id`, operation(ctx, 'UpdateWebhookPolicyOfProject', async (c) => {
    const { policy } = find(c);
    const update = (await c.req.json()) as HarborSchemas['WebhookPolicy'];
    checkPolicy({ ...policy, ...update });
    Object.assign(policy, { ...update, id: policy.id, project_id: policy.project_id, update_time: now() });
    return { status: 200 };
  }));

  app.delete(`${base}/:webhook_policy_id`, operation(ctx, 'DeleteWebhookPolicyOfProject', (c) => {
    const { p, policy } = find(c);
    p.webhookPolicies = p.webhookPolicies.filter((w) => w !== policy);
    return { status: 200 };
  }));
}
