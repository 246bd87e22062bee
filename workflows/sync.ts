import { defineSignal, patched, proxyActivities, setHandler, sleep, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failedPrecondition, notFound, operationFailed } from '../lib/failure-types';
import { compareTags, isSemver } from '../lib/model-metadata';
import { REPLICATION_CHANGED_SIGNAL } from '../lib/promotion';
import { isFinalExecutionStatus, JOB_RETRY_WINDOW_MS, type ExecutionReport, type RemoteVersion, type ReplicationRuleRef, type SyncResult } from '../lib/replication';
import { OperationKind, ProjectName } from '../lib/search-attributes';
import { registrySyncWorkflowId, ruleSyncScheduleId } from '../lib/workflow-ids';
import type { Actor } from './actor';
import { profiles } from './activity-options';
import { runUnderBusinessKey, type AlreadyRunning } from './business-key';
import { imageChangeEvents } from './image-events';
import { executionFailure, failAt, runOneOffReplication } from './one-off-replication';
import { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const harborBulk = proxyActivities<Activities>(profiles.harborBulk);
const remoteScan = proxyActivities<Activities>(profiles.remoteScan);
const events = proxyActivities<Activities>(profiles.events);
const temporal = proxyActivities<Activities>(profiles.temporal);

export const syncReplicationChangedSignal = defineSignal(REPLICATION_CHANGED_SIGNAL);

const byVersion = (a: { model: string; tag: string }, b: { model: string; tag: string }) => a.model.localeCompare(b.model) || compareTags(a.tag, b.tag);

/**
 * A sync imports its models before it compares, each asked of Harbor in one activity that also
 * archives one Harbor lacks; runs from before compared with the catalogue as it was, and listed
 * and reconciled in two activities, leaving such a model as it was.
 */
const NAMED_IMPORT_PATCH = 'sync-imports-named-repository';

/** Runs from before this patch announced no version their imports changed. */
const ANNOUNCE_PATCH = 'sync-announces-images';

/** How long a sync waits for a run of the rule's own Harbor policy before it pulls beside it after all. */
const RULE_RUN_WAIT_LIMIT_MS = 6 * 3600_000;

/**
 * Waits while the rule's own Harbor policy runs (its cron fires with the Schedule's, or someone ran
 * it), a `Failed` run too while Harbor's job service may still retry it.
 */
async function awaitRuleRuns(registry: string, harborPolicyId: number): Promise<void> {
  const started = Date.now();
  const mayRunAgain = (e: ExecutionReport) => e.status === 'Failed' && (!e.endedAt || Date.now() - Date.parse(e.endedAt) < JOB_RETRY_WINDOW_MS);
  for (let wait = 2_000; ; wait = Math.min(Math.round(wait * 1.5), 30_000)) {
    const running = (await harbor.listHarborReplicationExecutions(registry, harborPolicyId)).some((e) => !isFinalExecutionStatus(e.status) || mayRunAgain(e));
    if (!running || Date.now() - started > RULE_RUN_WAIT_LIMIT_MS) return;
    await sleep(wait);
  }
}

/**
 * Synchronizes a `pull` rule's project with its remote registry: reads the remote's versions under
 * the rule's namespace matching its filters (semantic-version tags), compares them with the
 * catalogue's, pulls what is absent here with a one-off Harbor pull policy for exactly those
 * repositories and tags, imports them into the catalogue and records where each lives. The same
 * tag with another digest on each side is a conflict: recorded as a `mismatch` location and
 * announced (`modelregistry.registry.mismatch`), never overwritten unless the rule says `override`.
 */
export async function registrySyncWorkflow(input: { ref: ReplicationRuleRef; actor?: Actor }): Promise<SyncResult> {
  let nudges = 0;
  setHandler(syncReplicationChangedSignal, () => void nudges++);
  const rule = await db.findReplicationRule(input.ref);
  if (!rule) throw notFound(`project "${input.ref.project}" in ${input.ref.registry} has no replication rule "${input.ref.name}"`);
  if (rule.direction !== 'pull') throw failedPrecondition(`replication rule "${rule.name}" pushes to ${rule.remoteRegistry}; only a pull rule synchronizes from it`);
  const remote = await db.findRemoteRegistry({ registry: rule.registry, name: rule.remoteRegistry });
  if (!remote) throw notFound(`no remote registry "${rule.remoteRegistry}" in ${rule.registry}`);
  const remoteRef = { registry: rule.registry, name: rule.remoteRegistry };

  const saga = new Saga();
  try {
    const found: RemoteVersion[] = (await saga.step('read-remote', () => remoteScan.readRemoteVersions(remoteRef, rule.remoteNamespace, rule.filters))).filter((v) => isSemver(v.tag));
    const models = [...new Set(found.map((v) => v.model))];
    // What Harbor has of these models, into the catalogue now: Harbor's push events may lag or be lost.
    const importModels = (names: string[]) =>
      saga.step('import', async () => {
        for (const model of names) {
          // One Harbor lacks is archived, so that its versions are pulled again (its webhooks may have been lost).
          if (patched(NAMED_IMPORT_PATCH)) {
            const changed = (await harborBulk.reconcileNamedRepository({ projectId: rule.projectId, registry: rule.registry, fullName: `${rule.project}/${model}` }))?.changes;
            // What the import changed is announced as a webhook's batch would (the webhook, if it comes, then finds nothing to change).
            if (changed && changed.length > 0 && patched(ANNOUNCE_PATCH)) await events.publishEvents(imageChangeEvents({ registry: rule.registry, project: rule.project, model }, changed, 'sync'));
          } else {
            for (const repository of await harborBulk.listHarborRepositories(rule.registry, rule.project, model)) {
              await db.reconcileRepository({ projectId: rule.projectId, registry: rule.registry, repository });
            }
          }
        }
      });
    const result: SyncResult = { rule: rule.name, project: rule.project, remoteRegistry: rule.remoteRegistry, pulled: [], skipped: [], conflicts: [], harborExecutionId: null };
    const compare = async () => {
      const here = new Map((await db.localVersions(rule.projectId, models)).map((v) => [`${v.model}:${v.tag}`, v.digest]));
      const toPull: RemoteVersion[] = [];
      [result.skipped, result.conflicts] = [[], []];
      for (const v of found.sort(byVersion)) {
        const digest = here.get(`${v.model}:${v.tag}`);
        if (digest === v.digest) result.skipped.push({ model: v.model, tag: v.tag, digest });
        else if (digest === undefined || rule.override) toPull.push(v);
        else result.conflicts.push({ model: v.model, tag: v.tag, localDigest: digest, remoteDigest: v.digest });
      }
      return toPull;
    };
    // What the catalogue says is here is checked with Harbor first: a version deleted there, its webhooks lost, is pulled again.
    if (patched(NAMED_IMPORT_PATCH)) await importModels(models);
    let toPull = await compare();
    // The rule's own policy pulling now would copy the same versions: its run is waited for, and what
    // it copied (or one that ended since the first look) imported before comparing again.
    if (toPull.length > 0 && patched('sync-awaits-rule-runs')) {
      await awaitRuleRuns(rule.registry, rule.harborPolicyId);
      await importModels(models);
      toPull = await compare();
    }
    const locate = (v: { model: string; tag: string }, localDigest: string | null, remoteDigest: string, status: 'present' | 'mismatch', executionId: string | null, detail: string | null) =>
      db.recordVersionLocation({ projectId: rule.projectId, model: v.model, tag: v.tag, remoteRegistryId: remote.id, remoteRepository: `${rule.remoteNamespace}/${v.model}`, localDigest, remoteDigest, status, executionId, detail });

    let executionId: string | null = null;
    if (toPull.length > 0) {
      const braces = (xs: string[]) => (xs.length === 1 ? xs[0]! : `{${xs.join(',')}}`);
      const run = await runOneOffReplication(
        saga,
        {
          name: `sync-${uuid4()}`,
          description: `one-off sync of ${rule.project} from ${rule.remoteRegistry} (rule ${rule.name})`,
          direction: 'pull',
          registry: rule.registry,
          harborRegistryId: remote.harborRegistryId,
          localProject: rule.project,
          remoteNamespace: rule.remoteNamespace,
          trigger: 'manual',
          filters: { name: braces([...new Set(toPull.map((v) => v.model))]), tag: braces([...new Set(toPull.map((v) => v.tag))]) },
          replicateDeletion: false,
          override: rule.override,
          speedKbps: rule.bandwidthKbps,
          enabled: true,
        },
        { projectId: rule.projectId, ruleId: rule.id, purpose: 'sync' },
        { nudges: () => nudges },
      );
      executionId = run.executionId;
      result.harborExecutionId = run.harborExecutionId;
      if (run.report.status !== 'Succeed') await failAt(saga, 'replicate', operationFailed(executionFailure(run), { harborExecutionId: run.harborExecutionId }));
      // Harbor's push events may lag or be lost: the pulled repositories are imported now.
      await importModels([...new Set(toPull.map((v) => v.model))]);
      const imported = new Map((await db.localVersions(rule.projectId, [...new Set(toPull.map((v) => v.model))])).map((v) => [`${v.model}:${v.tag}`, v.digest]));
      const missing = toPull.filter((v) => imported.get(`${v.model}:${v.tag}`) !== v.digest);
      if (missing.length > 0) {
        await failAt(saga, 'verify', operationFailed(`after Harbor's replication ${run.harborExecutionId} the project lacks ${missing.map((v) => `${v.model}:${v.tag}@${v.digest}`).join(', ')}`, { missing: missing.map((v) => `${v.model}:${v.tag}`) }));
      }
      result.pulled = toPull.map((v) => ({ model: v.model, tag: v.tag, digest: v.digest }));
    }

    await saga.step('record-locations', async () => {
      for (const v of [...result.pulled, ...result.skipped]) await locate(v, v.digest, v.digest, 'present', result.pulled.includes(v) ? executionId : null, null);
      for (const c of result.conflicts) await locate(c, c.localDigest, c.remoteDigest, 'mismatch', null, `the remote serves ${c.tag} as ${c.remoteDigest}, here ${c.localDigest}; left alone (the rule does not override)`);
    });
    const subject = `registries/${rule.registry}/${rule.remoteRegistry}`;
    const announced = [
      ...(result.conflicts.length > 0 ? [{ id: uuid4(), type: 'modelregistry.registry.mismatch', subject, time: new Date().toISOString(), data: { rule: rule.name, project: rule.project, remoteRegistry: rule.remoteRegistry, conflicts: result.conflicts } }] : []),
      ...(result.pulled.length > 0 ? [{ id: uuid4(), type: 'modelregistry.registry.synchronized', subject, time: new Date().toISOString(), data: { ...result } }] : []),
    ];
    await db.recordAudit({
      eventKey: `sync:${uuid4()}`,
      actor: input.actor?.username ?? null,
      action: 'registry.synchronized',
      resource: `replications/${rule.registry}/${rule.project}/${rule.name}`,
      details: { pulled: result.pulled.length, skipped: result.skipped.length, conflicts: result.conflicts.length, harborExecutionId: result.harborExecutionId, actorSubject: input.actor?.subject ?? null },
    });
    await events.publishEvents(announced);
    return result;
  } catch (err) {
    return saga.fail(err);
  }
}

/**
 * A rule's Schedule run: the sync under the rule's key, never beside one running (two pulled the same
 * versions twice). A Schedule whose rule is gone (made again by an update racing a delete) deletes
 * itself rather than fail every run.
 */
export async function scheduledSyncWorkflow(input: { ref: ReplicationRuleRef; ruleId?: string }): Promise<SyncResult | AlreadyRunning | { scheduleDeleted: string }> {
  if (input.ruleId && (await db.findReplicationRule(input.ref))?.id !== input.ruleId) {
    await temporal.deleteRuleSyncSchedule(input.ruleId);
    return { scheduleDeleted: ruleSyncScheduleId(input.ruleId) };
  }
  return runUnderBusinessKey(registrySyncWorkflow, registrySyncWorkflowId(input.ref.registry, input.ref.project, input.ref.name), [{ ref: input.ref }], [
    { key: ProjectName, value: input.ref.project },
    { key: OperationKind, value: 'registry.sync' },
  ]);
}
