import { patched, proxyActivities, sleep, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CleanupProjectContext } from '../activities/db/cleanup';
import type { CleanupReportPage } from '../activities/harbor/cleanup';
import type { CleanupPolicyRecord } from '../db/queries/cleanup';
import { cleanupPolicyProblems, effectivePolicy } from '../lib/cleanup/policy';
import { harborRetentionPolicy } from '../lib/cleanup/retention';
import type { CleanupPolicy, CleanupReport } from '../lib/cleanup/types';
import { failedPrecondition, FailureType, isFailure, notFound, operationFailed, translateFailure, validationFailed } from '../lib/failure-types';
import type { Actor } from './actor';
import { profiles } from './activity-options';
import { runUnderBusinessKey } from './business-key';
import { cleanupPolicyWorkflowId } from '../lib/workflow-ids';

const harbor = proxyActivities<Activities>(profiles.harbor);
const harborBulk = proxyActivities<Activities>(profiles.harborBulk);
const db = proxyActivities<Activities>(profiles.database);
const temporal = proxyActivities<Activities>(profiles.temporal);
const events = proxyActivities<Activities>(profiles.events);

export type CleanupPolicySource = ReturnType<typeof effectivePolicy>['source'] | 'inline';

/** A policy as the API answers it: the policy in force, where it comes from, and who set it when. */
export interface CleanupPolicyView {
  policy: CleanupPolicy;
  source: CleanupPolicySource;
  updatedBy: string | null;
  updatedAt: string | null;
}

/** Refuses a policy the rules' own checks refuse (beyond its schema): 400 naming each field under `body`. */
export function refuseInvalidPolicy(policy: CleanupPolicy): void {
  const problems = cleanupPolicyProblems(policy);
  if (problems.length === 0) return;
  const errors = problems.map((p) => ({ field: p.field.startsWith('body') ? p.field : `body.${p.field}`, message: p.message, code: 'custom' }));
  throw validationFailed(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}

/** The policy in force for a project: its own, else its tenant's default, else the built-in default. */
export function policyInForce(ctx: Pick<CleanupProjectContext, 'own' | 'tenantDefault'>): CleanupPolicyView {
  const { policy, source } = effectivePolicy(ctx.own?.policy, ctx.tenantDefault?.policy);
  const row = source === 'project' ? ctx.own : source === 'tenant' ? ctx.tenantDefault : null;
  return { policy, source, updatedBy: row?.updatedBy ?? null, updatedAt: row?.updatedAt ?? null };
}

/** A project's Schedule and Harbor retention policy made to follow the policy in force. */
async function applyToProject(project: CleanupProjectContext['project'], policy: CleanupPolicy, own: CleanupPolicyRecord | null): Promise<void> {
  await temporal.upsertCleanupSchedule({ registry: project.registry, project: project.name, tenant: project.tenant, policy });
  if (project.harborId === null) return;
  const body = policy.mirrorToHarborRetention ? harborRetentionPolicy(policy, project.harborId) : null;
  const retentionId = await harbor.syncHarborRetention(project.registry, project.name, body);
  if (own && own.harborRetentionId !== retentionId) await db.setCleanupPolicyRetention(own.id, retentionId);
}

/**
 * A project new to the catalogue (onboarded, registered) whose tenant has a default policy follows it
 * from the start, as the tenant's PUT makes the projects already there follow it: its Schedule and
 * Harbor retention mirror. Nothing for a project with a policy of its own, or a tenant without a default.
 */
export async function followTenantCleanupPolicy(registry: string, project: string): Promise<boolean> {
  const ctx = await db.cleanupProjectContext(registry, project);
  if (ctx.own || !ctx.tenantDefault) return false;
  await applyToProject(ctx.project, ctx.tenantDefault.policy, null);
  return true;
}

/** A tenant default's change reaching one project, under the project's policy key: whether it inherits it (it may have a policy of its own by now, or be archived). */
export async function cleanupPolicyFollowWorkflow(input: { registry: string; project: string }): Promise<boolean> {
  try {
    return await followTenantCleanupPolicy(input.registry, input.project);
  } catch (err) {
    if (isFailure(err, FailureType.NotFound)) return false;
    throw err;
  }
}

async function announce(actor: Actor, subject: string, data: Record<string, unknown>) {
  const event = { id: uuid4(), type: 'modelregistry.cleanup.policy_updated', subject, time: new Date().toISOString(), data };
  await db.recordAudit({ eventKey: event.id, actor: actor.username, action: 'cleanup.policy_updated', resource: subject, details: { ...data, actorSubject: actor.subject } });
  await events.publishEvent(event);
}

/**
 * Stores a project's cleanup policy (replaced whole) after the rules' checks, then makes its
 * Temporal Schedule (`cleanup:<registry>/<project>`) and, with `mirrorToHarborRetention`, Harbor's
 * retention policy follow it. Audited and published as `modelregistry.cleanup.policy_updated`.
 */
export async function cleanupPolicyWorkflow(input: { registry: string; project: string; policy: CleanupPolicy; actor: Actor }): Promise<CleanupPolicyView> {
  refuseInvalidPolicy(input.policy);
  const ctx = await db.cleanupProjectContext(input.registry, input.project);
  const own = await db.saveCleanupPolicy({ tenant: ctx.project.tenant, projectId: ctx.project.id, policy: input.policy, updatedBy: input.actor.username });
  await applyToProject(ctx.project, own.policy, own);
  await announce(input.actor, `projects/${input.registry}/${input.project}/cleanup-policy`, { tenant: ctx.project.tenant, project: input.project, policy: own.policy });
  return policyInForce({ own, tenantDefault: ctx.tenantDefault });
}

/**
 * Deletes a project's own policy: the project inherits its tenant's default (or the built-in one)
 * again, and its Schedule and Harbor retention policy follow that. 404 when it has none of its own.
 */
export async function cleanupPolicyDeleteWorkflow(input: { registry: string; project: string; actor: Actor }): Promise<CleanupPolicyView> {
  const ctx = await db.cleanupProjectContext(input.registry, input.project);
  if (!ctx.own) throw notFound(`project "${input.project}" has no cleanup policy of its own (it inherits one)`);
  await db.deleteCleanupPolicy(ctx.own.id);
  const inherited = policyInForce({ own: null, tenantDefault: ctx.tenantDefault });
  await applyToProject(ctx.project, inherited.policy, null);
  await announce(input.actor, `projects/${input.registry}/${input.project}/cleanup-policy`, { tenant: ctx.project.tenant, project: input.project, deleted: true, inherits: inherited.source });
  return inherited;
}

/** The follow of one project, once no change of its own policy runs (seconds each; each re-reads the tenant default when it applies). */
async function followUnderProjectKey(registry: string, project: string): Promise<boolean> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const outcome = await runUnderBusinessKey(cleanupPolicyFollowWorkflow, cleanupPolicyWorkflowId(registry, project), [{ registry, project }]);
    if (typeof outcome === 'boolean') return outcome;
    await sleep(1_000);
  }
  throw operationFailed(`a change of project ${registry}/${project}'s cleanup policy has run for 5 minutes: the tenant default is stored, PUT it again to apply it there`, { project: `${registry}/${project}` });
}

/**
 * Stores a tenant's default cleanup policy; every project of the tenant without a policy of its
 * own inherits it, so their Schedules and retention policies follow it too.
 */
export async function cleanupTenantPolicyWorkflow(input: { tenant: string; policy: CleanupPolicy; actor: Actor }): Promise<CleanupPolicyView & { inheritedBy: string[] }> {
  refuseInvalidPolicy(input.policy);
  const tenantDefault = await db.saveCleanupPolicy({ tenant: input.tenant, projectId: null, policy: input.policy, updatedBy: input.actor.username });
  const { projects } = await db.tenantCleanupContext(input.tenant);
  let heirs = projects.filter((p) => p.inherits);
  if (patched('tenant-policy-under-project-keys')) {
    // Each under the project's policy key, reading the project again: a project PUT or DELETE of its
    // own policy meanwhile is neither overwritten with the default nor left with the default it read before.
    // Every project, not only those read as inheriting: one whose own policy a DELETE is taking meanwhile inherits after it.
    const inheriting: typeof heirs = [];
    for (const p of projects) if (await followUnderProjectKey(p.registry, p.name)) inheriting.push(p);
    heirs = inheriting;
  } else for (const p of heirs) await applyToProject({ ...p, tenant: input.tenant }, tenantDefault.policy, null);
  await announce(input.actor, `tenants/${input.tenant}/cleanup-policy`, { tenant: input.tenant, policy: tenantDefault.policy });
  return { ...policyInForce({ own: null, tenantDefault }), inheritedBy: heirs.map((p) => `${p.registry}/${p.name}`) };
}

export interface CleanupCandidatesResult extends CleanupReportPage {
  registry: string;
  project: string;
  policy: CleanupPolicy;
  source: CleanupPolicySource;
  /** The time the ages were measured from. */
  now: string;
}

/** The project's report under `policy` now, a window of it (the activity reads Harbor and the catalogue and selects). */
export async function computeCleanup(ctx: CleanupProjectContext, policy: CleanupPolicy, window: { offset: number; limit: number; run?: string }): Promise<CleanupReportPage & { now: string }> {
  const now = new Date().toISOString();
  // A project the catalogue has but Harbor has not (deleted there behind our back): nothing to read.
  const page = await translateFailure(harborBulk.cleanupReport({ registry: ctx.project.registry, project: { id: ctx.project.id, name: ctx.project.name }, policy, now, ...window }), FailureType.HarborNotFound, () =>
    failedPrecondition(`project "${ctx.project.name}" is not in Harbor ${ctx.project.registry}: refresh or register it again before cleaning it`),
  );
  return { now, ...page };
}

/**
 * What the project's policy in force (or `policy`, "what would this policy do") selects and protects
 * now: a window of candidates and protected versions, totals of all. Reads only.
 */
export async function cleanupCandidatesWorkflow(input: { registry: string; project: string; policy?: CleanupPolicy; offset?: number; limit?: number }): Promise<CleanupCandidatesResult> {
  if (input.policy) refuseInvalidPolicy(input.policy);
  const ctx = await db.cleanupProjectContext(input.registry, input.project);
  const { policy, source } = input.policy ? { policy: input.policy, source: 'inline' as const } : policyInForce(ctx);
  const page = await computeCleanup(ctx, policy, { offset: input.offset ?? 0, limit: input.limit ?? 50 });
  return { registry: input.registry, project: input.project, policy, source, ...page };
}

export interface TenantCleanupCandidates {
  tenant: string;
  projects: { registry: string; project: string; source: CleanupPolicySource; totals: CleanupReport['totals'] }[];
  totals: CleanupReport['totals'];
}

/** Each project's candidates under its policy in force, summed: the totals per project and for the tenant. */
export async function cleanupTenantCandidatesWorkflow(input: { tenant: string }): Promise<TenantCleanupCandidates> {
  const { projects } = await db.tenantCleanupContext(input.tenant);
  const totals: CleanupReport['totals'] = { candidates: 0, protected: 0, kept: 0, sizeBytes: 0, freesBytes: 0, freesBytesEstimated: false };
  const rows: TenantCleanupCandidates['projects'] = [];
  for (const p of projects) {
    if (p.harborId === null) continue; // not in Harbor (yet): nothing to clean
    const ctx = await db.cleanupProjectContext(p.registry, p.name);
    const { policy, source } = policyInForce(ctx);
    const page = await computeCleanup(ctx, policy, { offset: 0, limit: 0 });
    rows.push({ registry: p.registry, project: p.name, source, totals: page.totals });
    for (const k of ['candidates', 'protected', 'kept', 'sizeBytes', 'freesBytes'] as const) totals[k] += page.totals[k];
    totals.freesBytesEstimated ||= page.totals.freesBytesEstimated;
  }
  return { tenant: input.tenant, projects: rows, totals };
}
