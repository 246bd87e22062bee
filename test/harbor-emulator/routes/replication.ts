import type { Context, Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, conflict, type EmulatorContext, HarborError, notFound, now, operation, paged } from '../context';
import { ZERO_TIME } from '../replication';
import type { ReplicationExecutionState } from '../state';
import { registryView } from './registries';

type Policy = HarborSchemas['ReplicationPolicy'];

/** The API's execution: who started it stays inside (Harbor sends it in webhooks only). */
function executionView(e: ReplicationExecutionState): HarborSchemas['ReplicationExecution'] {
  const view: Partial<ReplicationExecutionState> = { ...e };
  delete view.operator;
  return view;
}

/** distribution's repository name (`reference.NameRegexp`, path components only), Harbor's rule for `dest_namespace`. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const NAMESPACE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/** Harbor's `Policy.Validate` and `Filter.Validate` (src/controller/replication/model, src/pkg/reg/model/policy.go). */
function validatePolicy(req: Policy): void {
  if (!req.name) throw badRequest('empty name');
  if (Boolean(req.src_registry?.id) === Boolean(req.dest_registry?.id)) throw badRequest("either src_registry or dest_registry should be empty and the other one shouldn't be empty");
  for (const f of req.filters ?? []) {
    if (f.type === 'name' || f.type === 'tag' || f.type === 'resource') {
      if (typeof f.value !== 'string') throw badRequest("the type of filter value isn't string");
      if (f.type === 'resource' && f.value !== 'artifact' && f.value !== 'image') throw badRequest(`invalid resource filter: ${f.value}`);
      if (f.type !== 'tag' && f.decoration) throw badRequest('only tag and label filter support decoration');
    } else if (f.type === 'label') {
      if (!Array.isArray(f.value) || f.value.some((l) => typeof l !== 'string')) throw badRequest("the type of label filter value isn't string slice");
    } else {
      throw badRequest('invalid filter type');
    }
    if (f.decoration && f.decoration !== 'matches' && f.decoration !== 'excludes') throw badRequest(`invalid filter decoration, :${f.decoration}`);
  }
  if (req.dest_namespace && !NAMESPACE.test(req.dest_namespace)) throw badRequest(`invalid destination namespace: ${req.dest_namespace}`);
  const trigger = req.trigger;
  if (trigger && trigger.type !== 'manual' && trigger.type !== 'event_based') {
    if (trigger.type !== 'scheduled') throw badRequest('invalid trigger type');
    const cron = trigger.trigger_settings?.cron ?? '';
    if (!cron) throw badRequest('the cron string cannot be empty when the trigger type is scheduled');
    // Harbor's cron has seconds first (6 fields).
    const fields = cron.split(' ');
    if (fields.length !== 6 || fields.some((x) => !/^[\w*/,?-]+$/.test(x))) throw badRequest(`invalid cron string for scheduled trigger: ${cron}`);
    if (fields[0] !== '0') throw badRequest('the 1st field (indicating Seconds of time) of the cron setting must be 0');
    if (fields[1] === '*') throw badRequest('* is not allowed for the Minutes field of the cron setting of replication policy');
  }
}

/**
 * What Harbor keeps of a policy body (src/server/v2.0/handler/replication.go): `deletion`, not
 * `replicate_deletion`, sets the deletion flag (the handler reads the deprecated field only);
 * booleans left out are false (`enabled` too); a negative speed is 0; no replace count is -1.
 */
function stored(req: Policy, id: number, creationTime: string): Policy {
  return {
    id,
    name: req.name,
    description: req.description ?? '',
    src_registry: req.src_registry,
    dest_registry: req.dest_registry,
    dest_namespace: req.dest_namespace ?? '',
    dest_namespace_replace_count: req.dest_namespace_replace_count ?? -1,
    trigger: req.trigger,
    filters: req.filters,
    deletion: req.deletion ?? false,
    replicate_deletion: req.deletion ?? false,
    override: req.override ?? false,
    enabled: req.enabled ?? false,
    speed: Math.max(0, req.speed ?? 0),
    copy_by_chunk: req.copy_by_chunk ?? false,
    single_active_replication: req.single_active_replication ?? false,
    creation_time: creationTime,
    update_time: now(),
  };
}

/** The user of the request's Basic credentials (the API lets only the admin in). */
const requester = (c: Context) => Buffer.from((c.req.header('authorization') ?? '').slice(6), 'base64').toString('utf8').split(':')[0] ?? '';

/** Replication policies, executions (run by ../replication.ts), their tasks and the tasks' logs. */
export function replicationRoutes(app: Hono, ctx: EmulatorContext) {
  const policies = ctx.state.replicationPolicies;
  const policyOf = (c: Context) => {
    const p = policies.get(Number(c.req.param('id')));
    if (!p) throw notFound(`policy ${c.req.param('id')} not found`);
    return p;
  };
  const executionOf = (c: Context) => {
    const e = ctx.state.replicationExecutions.get(Number(c.req.param('id')));
    if (!e) throw notFound(`execution ${c.req.param('id')} not found`);
    return e;
  };
  const validate = (req: Policy, id?: number) => {
    validatePolicy(req);
    for (const r of [req.src_registry, req.dest_registry]) if (r?.id && !ctx.state.registries.has(r.id)) throw badRequest(`registry ${r.id} not found`);
    if ([...policies.values()].some((p) => p.name === req.name && p.id !== id)) throw conflict(`policy ${req.name} already exists`);
  };
  /** Harbor answers both sides as whole registries: the endpoint (secret hidden), and itself as `Local` (id 0) on the other. */
  const policyView = (p: Policy): Policy => {
    const side = (id: number | undefined): HarborSchemas['Registry'] => {
      const endpoint = id ? ctx.state.registries.get(id) : undefined;
      if (endpoint) return registryView(endpoint);
      return { id: 0, name: 'Local', type: 'harbor', url: `http://${ctx.registryAddress()}`, insecure: true, status: 'healthy', description: '', credential: { type: 'secret', access_key: '', access_secret: '*****' }, creation_time: ZERO_TIME, update_time: ZERO_TIME };
    };
    return { ...p, src_registry: side(p.src_registry?.id), dest_registry: side(p.dest_registry?.id) };
  };
  const running = (policyId: number) => [...ctx.state.replicationExecutions.values()].some((e) => e.policy_id === policyId && e.status === 'InProgress');

  app.get('/replication/policies', operation(ctx, 'listReplicationPolicies', (c) => {
    const name = c.req.query('name');
    return paged(c, [...policies.values()].filter((p) => !name || p.name === name).map(policyView));
  }));

  app.post('/replication/policies', operation(ctx, 'createReplicationPolicy', async (c) => {
    const req = (await c.req.json()) as Policy;
    validate(req);
    const id = ctx.state.nextId();
    policies.set(id, stored(req, id, now()));
    return { status: 201, headers: { location: `/api/v2.0/replication/policies/${id}` } };
  }));

  app.get('/replication/policies/:id', operation(ctx, 'getReplicationPolicy', (c) => ({ status: 200, body: policyView(policyOf(c)) })));

  app.put('/replication/policies/:id', operation(ctx, 'updateReplicationPolicy', async (c) => {
    const existing = policyOf(c);
    const req = (await c.req.json()) as Policy;
    validate(req, existing.id);
    policies.set(existing.id!, stored(req, existing.id!, existing.creation_time!));
    return { status: 200 };
  }));

  app.delete('/replication/policies/:id', operation(ctx, 'deleteReplicationPolicy', (c) => {
    const p = policyOf(c);
    if (running(p.id!)) throw new HarborError(412, 'PRECONDITION', `the policy ${p.id} has running executions, can not be deleted`);
    policies.delete(p.id!);
    return { status: 200 };
  }));

  app.get('/replication/executions', operation(ctx, 'listReplicationExecutions', (c) => {
    const policyId = c.req.query('policy_id');
    const all = [...ctx.state.replicationExecutions.values()].filter((e) => !policyId || e.policy_id === Number(policyId));
    // Harbor lists the newest first.
    return paged(c, all.reverse().map(executionView));
  }));

  app.post('/replication/executions', operation(ctx, 'startReplication', async (c) => {
    const { policy_id } = (await c.req.json()) as HarborSchemas['StartReplicationExecution'];
    const policy = policy_id === undefined ? undefined : policies.get(policy_id);
    if (!policy) throw badRequest(`policy ${policy_id} not found`);
    if (policy.enabled === false) throw new HarborError(412, 'PRECONDITION', `the policy ${policy_id} is disabled`);
    const id = ctx.replication.start(policy, 'manual', requester(c));
    return { status: 201, headers: { location: `/api/v2.0/replication/executions/${id}` } };
  }));

  app.get('/replication/executions/:id', operation(ctx, 'getReplicationExecution', (c) => ({ status: 200, body: executionView(executionOf(c)) })));

  app.put('/replication/executions/:id', operation(ctx, 'stopReplication', (c) => {
    ctx.replication.stop(executionOf(c).id!);
    return { status: 200 };
  }));

  app.get('/replication/executions/:id/tasks', operation(ctx, 'listReplicationTasks', (c) => {
    const e = executionOf(c);
    const status = c.req.query('status');
    return paged(c, ctx.replication.tasksOf(e.id!).map((t) => t.task).filter((t) => !status || t.status === status));
  }));

  app.get('/replication/executions/:id/tasks/:task_id/log', operation(ctx, 'getReplicationLog', (c) => {
    const t = ctx.state.replicationTasks.get(Number(c.req.param('task_id')));
    if (!t || t.task.execution_id !== Number(c.req.param('id'))) throw notFound(`task ${c.req.param('task_id')} not found`);
    return { status: 200, body: t.log.map((line) => `${line}\n`).join('') };
  }));
}
