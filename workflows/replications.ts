import { condition, continueAsNew, defineQuery, defineSignal, getExternalWorkflowHandle, log, patched, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { VisibleRemoteRegistry } from '../activities/db/replications';
import type { ProjectRecord } from '../db/queries/projects';
import type { ReplicationExecutionRecord, ReplicationRuleRecord } from '../db/queries/replications';
import { applicationFailureIn, conflict, failedPrecondition, FailureType, isFailure, notFound, translateFailure, validationFailed } from '../lib/failure-types';
import { REPLICATION_CHANGED_SIGNAL } from '../lib/promotion';
import {
  isFinalExecutionStatus,
  JOB_RETRY_WINDOW_MS,
  REPLICATION_REFRESH_SIGNAL,
  replicationPolicyName,
  type ExecutionReport,
  type ExecutionRef,
  type RefreshRequest,
  type ReplicationPolicySpec,
  type ReplicationRulePatch,
  type ReplicationRuleRef,
  type ReplicationRuleSpec,
} from '../lib/replication';
import type { Actor } from './actor';
import { profiles } from './activity-options';
import { requireProject } from './lookups';
import { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
const temporal = proxyActivities<Activities>(profiles.temporal);
const undo = proxyActivities<Activities>(profiles.compensation);
const remoteScan = proxyActivities<Activities>(profiles.remoteScan);

export const refreshSignal = defineSignal<[RefreshRequest?]>(REPLICATION_REFRESH_SIGNAL);
/** What the follower last read from Harbor (undefined before its first read). */
export const progressQuery = defineQuery<ExecutionReport | undefined>('progress');

const ruleResource = (r: { registry: string; project: string; name: string }) => `replications/${r.registry}/${r.project}/${r.name}`;

/** Audits a rule's change and publishes its CloudEvent (a rule holds no secret). */
export async function announceReplicationRule(change: 'created' | 'updated' | 'deleted', actor: Actor | undefined, rule: ReplicationRuleRecord, details: Record<string, unknown> = {}) {
  const event = { id: uuid4(), type: `modelregistry.replication.${change}`, subject: ruleResource(rule), time: new Date().toISOString(), data: { rule } };
  await db.recordAudit({
    eventKey: event.id,
    actor: actor?.username ?? null,
    action: `replication.${change}`,
    resource: event.subject,
    details: { ...details, project: rule.project, remoteRegistry: rule.remoteRegistry, ...(actor ? { actorSubject: actor.subject } : {}) },
  });
  await events.publishEvent(event);
}

/**
 * An execution reached a final status, seen once by whoever saw the change: a rule's run records
 * where its versions now live (promotions and syncs record their own), then the event is published.
 */
async function announceFinished(execution: ReplicationExecutionRecord) {
  if (patched('rule-execution-locations') && execution.purpose === 'rule') {
    try {
      await remoteScan.recordRuleExecutionLocations({ registry: execution.registry, harborExecutionId: execution.harborExecutionId });
    } catch (err) {
      // The execution's end is news on its own: locations a later run or sync records again.
      log.warn('locations of a finished execution not recorded', { registry: execution.registry, harborExecutionId: execution.harborExecutionId, error: String(err) });
    }
  }
  await events.publishEvent({
    // One per final status: a Failed execution Harbor's job service retries may end again, Succeed.
    id: `replication-execution:${execution.registry}/${execution.harborExecutionId}:${execution.status}`,
    type: 'modelregistry.replication_execution.finished',
    subject: `replication-executions/${execution.registry}/${execution.harborExecutionId}`,
    time: new Date().toISOString(),
    data: { execution },
  });
}

/** The Harbor policy of a rule. */
export function policySpecOf(spec: ReplicationRuleSpec, harborRegistryId: number): ReplicationPolicySpec {
  return {
    name: replicationPolicyName(spec.project, spec.name),
    description: spec.description,
    direction: spec.direction,
    registry: spec.registry,
    harborRegistryId,
    localProject: spec.project,
    remoteNamespace: spec.remoteNamespace,
    trigger: spec.trigger,
    cron: spec.trigger === 'scheduled' ? spec.cron : undefined,
    filters: spec.filters,
    replicateDeletion: spec.replicateDeletion,
    override: spec.override,
    speedKbps: spec.speedKbps,
    enabled: spec.enabled,
  };
}

function specOf(rule: ReplicationRuleRecord): ReplicationRuleSpec {
  return {
    registry: rule.registry,
    project: rule.project,
    name: rule.name,
    direction: rule.direction,
    remoteRegistry: rule.remoteRegistry,
    remoteNamespace: rule.remoteNamespace,
    trigger: rule.trigger,
    cron: rule.cron ?? undefined,
    filters: rule.filters,
    replicateDeletion: rule.replicateDeletion,
    override: rule.override,
    speedKbps: rule.bandwidthKbps,
    enabled: rule.enabled,
    description: rule.description ?? undefined,
  };
}

/** The remote registry a project of `project.tenantId` may use, or the caller's 400 naming `field`. */
export async function requireVisibleRemoteRegistry(project: Pick<ProjectRecord, 'registry' | 'tenantId'>, name: string, field: string): Promise<VisibleRemoteRegistry> {
  const remote = await db.findVisibleRemoteRegistry(project.registry, project.tenantId, name);
  if (remote) return remote;
  const message = `no remote registry "${name}" in ${project.registry} that tenant "${project.tenantId}" may use (its own or a shared one)`;
  throw validationFailed(`${field}: ${message}`, { errors: [{ field, message, code: 'invalid_value' }] });
}

async function requireRule(ref: ReplicationRuleRef): Promise<ReplicationRuleRecord> {
  const rule = await db.findReplicationRule(ref);
  if (!rule) throw notFound(`project "${ref.project}" in ${ref.registry} has no replication rule "${ref.name}"`);
  return rule;
}

const harborStatusOf = (err: unknown) => (applicationFailureIn(err)?.details?.[0] as { harborStatus?: number } | undefined)?.harborStatus;

/** Harbor's 404 of a catalogued rule's policy: gone from Harbor, which the caller resolves by deleting the rule. */
const onCataloguedRule = <T>(step: Promise<T>, rule: ReplicationRuleRecord) =>
  translateFailure(step, FailureType.HarborNotFound, () =>
    failedPrecondition(`the Harbor policy of replication rule "${rule.name}" is gone from ${rule.registry}: delete the rule and create it again`),
  );

/** Creates a rule's Harbor policy as a saga step: undone by name, only when Harbor created it since the step began. */
export async function createPolicyStep(saga: Saga, step: string, policy: ReplicationPolicySpec): Promise<number> {
  const since = Date.now();
  return saga.step(
    step,
    () => harbor.createHarborReplicationPolicy(policy),
    () => undo.deleteHarborReplicationPolicyNamed(policy.registry, policy.name, since),
    // Harbor has someone else's policy of that name: nothing of ours to undo.
    { didNothing: (err) => isFailure(err, FailureType.Conflict) },
  );
}

/** A pull rule's synchronization Schedule (none for a push rule), as a saga step undone with the rule. */
export async function syncScheduleStep(saga: Saga, rule: ReplicationRuleRecord): Promise<void> {
  await saga.step(`sync-schedule:${rule.name}`, () => temporal.upsertRuleSyncSchedule(rule), () => undo.deleteRuleSyncSchedule(rule.id));
}

/**
 * Harbor policy → catalogue row, as a saga: a row that cannot be written deletes the policy again.
 * Refused (400 naming `body.registry`) when the remote registry is not one the project's tenant may use.
 */
export async function replicationRuleCreateWorkflow(input: { spec: ReplicationRuleSpec; actor: Actor }): Promise<ReplicationRuleRecord> {
  const { spec } = input;
  const project = await requireProject(spec.registry, spec.project);
  if (await db.findReplicationRule(spec)) throw conflict(`project "${spec.project}" has a replication rule "${spec.name}"`);
  const remote = await requireVisibleRemoteRegistry(project, spec.remoteRegistry, 'body.registry');
  const saga = new Saga();
  try {
    const harborPolicyId = await createPolicyStep(saga, 'create-harbor-policy', policySpecOf(spec, remote.harborRegistryId));
    const rule = await saga.step('save-rule', () => db.saveReplicationRule(spec, { projectId: project.id, remoteRegistryId: remote.id, harborPolicyId }));
    await syncScheduleStep(saga, rule);
    await announceReplicationRule('created', input.actor, rule);
    return rule;
  } catch (err) {
    return saga.fail(err);
  }
}

/** Changes the Harbor policy, then the row, as a saga: a row that cannot follow puts Harbor's policy back. */
export async function replicationRuleUpdateWorkflow(input: { ref: ReplicationRuleRef; patch: ReplicationRulePatch; actor: Actor }): Promise<ReplicationRuleRecord> {
  const { patch } = input;
  const current = await requireRule(input.ref);
  const merged: ReplicationRuleSpec = { ...specOf(current), ...patch };
  if (merged.trigger === 'scheduled' && !merged.cron) {
    const message = 'required when trigger is scheduled';
    throw validationFailed(`body.cron: ${message}`, { errors: [{ field: 'body.cron', message, code: 'invalid_value' }] });
  }
  // A cron for a rule that stays manual or event-based was taken and dropped without a word; a create refuses it.
  if (patch.cron !== undefined && merged.trigger !== 'scheduled' && patched('update-cron-needs-schedule')) {
    const message = 'only with trigger scheduled';
    throw validationFailed(`body.cron: ${message}`, { errors: [{ field: 'body.cron', message, code: 'invalid_value' }] });
  }
  const project = await requireProject(current.registry, current.project);
  const remote = await db.findVisibleRemoteRegistry(project.registry, project.tenantId, current.remoteRegistry);
  if (!remote) throw failedPrecondition(`remote registry "${current.remoteRegistry}" of replication rule "${current.name}" is gone: delete the rule`);
  const saga = new Saga();
  try {
    await saga.step(
      'update-harbor-policy',
      () => onCataloguedRule(harbor.updateHarborReplicationPolicy(current.harborPolicyId, policySpecOf(merged, remote.harborRegistryId)), current),
      // The row could not follow: Harbor's policy goes back to what the row still says.
      () => undo.updateHarborReplicationPolicy(current.harborPolicyId, policySpecOf(specOf(current), remote.harborRegistryId)),
      // The policy is gone from Harbor: nothing to put back.
      { didNothing: (err) => isFailure(err, FailureType.FailedPrecondition) },
    );
    const rule = await saga.step('save-rule', () => db.updateReplicationRule(current, patch));
    // Trigger, cron or enabled may have changed: the Schedule follows the rule.
    await saga.step('sync-schedule', () => temporal.upsertRuleSyncSchedule(rule));
    await announceReplicationRule('updated', input.actor, rule, { fields: Object.keys(patch) });
    return rule;
  } catch (err) {
    return saga.fail(err);
  }
}

/** Deletes the rule's Harbor policy (already gone is fine) and archives the row; audited. */
export async function removeReplicationRule(rule: ReplicationRuleRecord, actor: Actor, details: Record<string, unknown> = {}): Promise<ReplicationRuleRecord> {
  try {
    await harbor.deleteHarborReplicationPolicy(rule.registry, rule.harborPolicyId);
  } catch (err) {
    // Harbor deletes a policy with its executions, and refuses (412) while one still runs.
    if (harborStatusOf(err) !== 412) throw err;
    throw failedPrecondition(`Harbor keeps the policy of replication rule "${rule.name}" while one of its executions runs; try again once it has ended`);
  }
  await temporal.deleteRuleSyncSchedule(rule.id);
  const archived = await db.archiveReplicationRule(rule);
  await announceReplicationRule('deleted', actor, archived, details);
  return archived;
}

export async function replicationRuleDeleteWorkflow(input: { ref: ReplicationRuleRef; actor: Actor }): Promise<ReplicationRuleRecord> {
  return removeReplicationRule(await requireRule(input.ref), input.actor);
}

/**
 * Runs a rule now: Harbor starts an execution, its row is recorded and a follower watches it to
 * the end. The answer is the execution as Harbor reported it just after the start.
 */
export async function replicationRunWorkflow(input: { ref: ReplicationRuleRef; actor: Actor }): Promise<ReplicationExecutionRecord> {
  const rule = await requireRule(input.ref);
  // Harbor refuses (412) to start a disabled policy: the caller's to resolve.
  if (!rule.enabled) throw failedPrecondition(`replication rule "${rule.name}" is disabled: enable it (PATCH enabled=true) to run it`);
  const harborExecutionId = await onCataloguedRule(harbor.startHarborReplication(rule.registry, rule.harborPolicyId), rule);
  const report = await harbor.readHarborReplication(rule.registry, harborExecutionId);
  const { execution, created } = await db.recordReplicationExecution({ registry: rule.registry, projectId: rule.projectId, ruleId: rule.id, purpose: 'rule', report });
  await db.recordAudit({
    eventKey: `replication-execution:${rule.registry}/${harborExecutionId}:started`,
    actor: input.actor.username,
    action: 'replication.run',
    resource: ruleResource(rule),
    details: { harborExecutionId, actorSubject: input.actor.subject },
  });
  if (!isFinalExecutionStatus(execution.status)) await temporal.followReplicationExecutions([{ registry: rule.registry, harborExecutionId }]);
  else if (created) await announceFinished(execution);
  return execution;
}

const FIRST_WAIT_MS = 2_000;
const LONGEST_WAIT_MS = 60_000;

/**
 * Follows one Harbor execution until it settles: reads Harbor on a backing-off timer, and at once
 * when signalled (`refresh`: a REPLICATION webhook, the poller, a promotion or sync that waits for
 * it), copying status, counts and tasks onto its row. Each change to a final status is announced
 * (`modelregistry.replication_execution.finished`); a `Failed` one is read on while Harbor's job
 * service may still retry it. Then the watchers are told (`replicationChanged`).
 */
export async function replicationExecutionWorkflow(ref: ExecutionRef, waitMs = FIRST_WAIT_MS, watchers: string[] = [], announced?: string): Promise<ReplicationExecutionRecord | null> {
  let nudged = false;
  let announcedStatus = announced;
  let last: ExecutionReport | undefined;
  const watching = new Set(watchers);
  setHandler(refreshSignal, (request?: RefreshRequest) => {
    nudged = true;
    if (request?.watcher) watching.add(request.watcher);
  });
  setHandler(progressQuery, () => last);
  let wait = waitMs;
  let failedSince: number | undefined;
  for (;;) {
    nudged = false;
    const observed = await observe(ref, (report) => (last = report));
    // Not one the service records (no rule, promotion or sync of ours): nothing to follow.
    if (!observed) return settle(null, watching);
    const { execution, previousStatus } = observed;
    const final = isFinalExecutionStatus(execution.status);
    // What it announced is the follower's own: the row's previous status is already final when a
    // promotion's or sync's one-off replication wrote it first, or an observe was retried after its commit.
    const news = patched('follower-announces-once') ? execution.status !== announcedStatus : execution.status !== previousStatus;
    if (final && news) {
      await announceFinished(execution);
      announcedStatus = execution.status;
    }
    failedSince = execution.status === 'Failed' ? (failedSince ?? Date.now()) : undefined;
    const retryWindowLeft = failedSince === undefined ? 0 : JOB_RETRY_WINDOW_MS - (Date.now() - failedSince);
    if (final && retryWindowLeft <= 0) return settle(execution, watching);
    await condition(() => nudged, final ? Math.min(wait, retryWindowLeft) : wait);
    wait = Math.min(wait * 2, LONGEST_WAIT_MS);
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof replicationExecutionWorkflow>(ref, wait, [...watching], announcedStatus);
  }
}

/** Tells the workflows waiting for the execution that it settled; one that has ended meanwhile is skipped. */
async function settle(execution: ReplicationExecutionRecord | null, watching: Set<string>): Promise<ReplicationExecutionRecord | null> {
  for (const watcher of watching) {
    await getExternalWorkflowHandle(watcher)
      .signal(REPLICATION_CHANGED_SIGNAL)
      .catch(() => log.info('a watcher of the execution has ended', { watcher }));
  }
  return execution;
}

/** Harbor's execution now, onto its row; one Harbor no longer has is stopped rather than followed for ever. */
async function observe(ref: ExecutionRef, onRead: (report: ExecutionReport) => void) {
  try {
    const report = await harbor.readHarborReplication(ref.registry, ref.harborExecutionId);
    onRead(report);
    return await db.observeReplicationExecution(ref.registry, report);
  } catch (err) {
    if (!isFailure(err, FailureType.HarborNotFound)) throw err;
    return db.markReplicationExecutionGone(ref.registry, ref.harborExecutionId);
  }
}

/**
 * A REPLICATION webhook of a project: records the executions Harbor's own triggers started for the
 * project's rules (Harbor's payload may carry no execution id, so each rule's policy is listed),
 * and nudges the followers of every execution still in progress to read Harbor now.
 */
export async function followProjectReplications(registry: string, project: string): Promise<void> {
  const rules = await db.liveReplicationRulesOfProject(registry, project);
  for (const rule of rules) {
    const reports = await harbor.listHarborReplicationExecutions(registry, rule.harborPolicyId);
    const found = await db.recordDiscoveredReplicationExecutions({ registry, projectId: rule.projectId, ruleId: rule.id, reports });
    if (patched('discovered-executions-followed')) {
      // Each to its follower, finished or not: Harbor's list of a policy's executions has no tasks, the
      // follower reads them (a webhook mostly comes once it has finished), and announces its end once.
      if (found.length > 0) await temporal.followReplicationExecutions(found.map((e) => ({ registry, harborExecutionId: e.harborExecutionId })));
    } else for (const execution of found.filter((e) => isFinalExecutionStatus(e.status))) await announceFinished(execution);
  }
  const running = await db.runningReplicationExecutions(registry, project);
  // A Failed one was announced by the follower that saw it fail: one started again does not repeat it.
  if (running.length > 0) await temporal.followReplicationExecutions(running.map((e) => ({ registry, harborExecutionId: e.harborExecutionId, ...(e.status === 'InProgress' ? {} : { announced: e.status }) })));
  log.info('replication followers nudged', { registry, project, running: running.length });
}

/** Run by the `replication-execution-poller` Schedule: executions in progress nobody has asked Harbor about lately (a lost webhook, a dead follower). */
export async function replicationPollWorkflow(staleAfterSeconds = 180): Promise<{ nudged: number }> {
  const stale = await db.staleReplicationExecutions(staleAfterSeconds);
  if (stale.length > 0) await temporal.followReplicationExecutions(stale);
  return { nudged: stale.length };
}
