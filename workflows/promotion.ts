import { condition, defineQuery, defineSignal, proxyActivities, setHandler, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RemoteRegistryRecord } from '../db/queries/registries';
import { conflict, failedPrecondition, notFound, operationFailed } from '../lib/failure-types';
import {
  APPROVAL_CHANGED_SIGNAL,
  PROGRESS_QUERY,
  REPLICATION_CHANGED_SIGNAL,
  type PromotionFacts,
  type PromotionProgress,
  type PromotionRequest,
  type PromotionResult,
} from '../lib/promotion';
import { profiles } from './activity-options';
import { executionFailure, failAt, runOneOffReplication } from './one-off-replication';
import { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

export const approvalChangedSignal = defineSignal(APPROVAL_CHANGED_SIGNAL);
export const replicationChangedSignal = defineSignal(REPLICATION_CHANGED_SIGNAL);
export const promotionProgressQuery = defineQuery<PromotionProgress>(PROGRESS_QUERY);

/** A failed scan or signature gate refuses the promotion at once: 409 naming every failed gate. */
function refuseFailedGates(facts: PromotionFacts): void {
  const failed = facts.gates.filter((g) => !g.passed);
  if (failed.length === 0) return;
  throw failedPrecondition(`the version fails the promotion gates: ${failed.map((g) => `${g.gate} (${g.detail})`).join('; ')}`, { failedGates: failed.map((g) => g.gate), gates: facts.gates });
}

/**
 * Promotes an approved, scanned and signed version to a remote registry: gates first (a failed
 * scan or signature refuses at once; a missing approval is waited for until the deadline), then
 * the remote's manifest is read: the same digest there completes without copying; else a one-off
 * Harbor push policy for exactly that repository and tag is run, watched, and always deleted, and
 * the digest the remote then serves is verified. The location is recorded either way and
 * `modelregistry.model.promoted` published. A failure names the step it stopped at.
 */
export async function modelPromotionWorkflow(input: PromotionRequest): Promise<PromotionResult> {
  const { ref } = input;
  const progress: PromotionProgress = { stage: 'checking-gates' };
  setHandler(promotionProgressQuery, () => progress);
  let approvalSignals = 0;
  let replicationSignals = 0;
  setHandler(approvalChangedSignal, () => void approvalSignals++);
  setHandler(replicationChangedSignal, () => void replicationSignals++);
  const failed = (failedStep: string, err: unknown): never => {
    progress.stage = 'failed';
    progress.failedStep = failedStep;
    throw err;
  };

  const remoteRef = { registry: ref.registry, name: input.remote };
  const remote: RemoteRegistryRecord | null = await db.findRemoteRegistry(remoteRef);
  let facts = await db.promotionFacts(ref);
  // Another tenant's remote registry is not there for this project.
  if (!remote || (remote.tenant !== null && remote.tenant !== facts.tenant)) failed('check-remote-registry', notFound(`no remote registry "${input.remote}" in ${ref.registry}`));
  try {
    refuseFailedGates(facts);
  } catch (err) {
    failed('check-gates', err);
  }

  if (!facts.approved) {
    const deadline = Date.now() + input.approvalTimeoutSeconds * 1000;
    progress.stage = 'waiting-for-approval';
    progress.approvalDeadline = new Date(deadline).toISOString();
    while (!facts.approved && Date.now() < deadline) {
      const seen = approvalSignals;
      await condition(() => approvalSignals !== seen, deadline - Date.now());
      facts = await db.promotionFacts(ref);
    }
    if (!facts.approved) {
      failed(
        'wait-for-approval',
        failedPrecondition(`no approval of ${ref.project}/${ref.model}:${ref.tag} arrived before the deadline ${progress.approvalDeadline} (${input.approvalTimeoutSeconds} s)`, {
          failedStep: 'wait-for-approval',
          approvalDeadline: progress.approvalDeadline,
        }),
      );
    }
    delete progress.approvalDeadline;
    // The tag may have moved, or a new scan arrived, while it waited: the gates again.
    try {
      refuseFailedGates(facts);
    } catch (err) {
      failed('check-gates', err);
    }
  }

  const remoteRegistry = remote!;
  const remoteRepository = `${input.namespace ?? ref.project}/${ref.model}`;
  const location = { projectId: facts.projectId, model: ref.model, tag: ref.tag, remoteRegistryId: remoteRegistry.id, remoteRepository, localDigest: facts.digest };
  const saga = new Saga();
  try {
    progress.stage = 'checking-remote';
    const before = await saga.step('check-remote', () => harbor.readRemoteManifest(remoteRef, remoteRepository, ref.tag));
    let executionId: string | null = null;
    let copied = false;
    const known = await db.findVersionLocation(location);
    // Recorded there already with this digest: an earlier promotion; nothing changes, nothing is announced.
    const unchanged = known?.status === 'present' && known.remoteDigest === facts.digest && before?.digest === facts.digest;
    if (before?.digest === facts.digest) {
      // Already there (an earlier promotion, or someone else's copy): keep the execution that put it there.
      executionId = known?.executionId ?? null;
    } else {
      if (before) {
        await db.recordVersionLocation({ ...location, remoteDigest: before.digest, status: 'mismatch', executionId: null, detail: `the remote serves ${ref.tag} as ${before.digest}, not ${facts.digest}; never overwritten` });
        throw conflict(`${remoteRegistry.name} already serves ${remoteRepository}:${ref.tag} with another digest (${before.digest}, here ${facts.digest}); a promotion never overwrites it`, { remoteDigest: before.digest, digest: facts.digest });
      }
      progress.stage = 'replicating';
      const policy = {
        name: `promotion-${uuid4()}`,
        description: `one-off promotion of ${ref.project}/${ref.model}:${ref.tag} to ${remoteRegistry.name}`,
        direction: 'push' as const,
        registry: ref.registry,
        harborRegistryId: remoteRegistry.harborRegistryId,
        localProject: ref.project,
        remoteNamespace: input.namespace ?? ref.project,
        trigger: 'manual' as const,
        filters: { name: ref.model, tag: ref.tag },
        replicateDeletion: false,
        override: false,
        speedKbps: -1,
        enabled: true,
      };
      const run = await runOneOffReplication(saga, policy, { projectId: facts.projectId, ruleId: null, purpose: 'promotion' }, {
        nudges: () => replicationSignals,
        started: (id) => void (progress.harborExecutionId = id),
      });
      executionId = run.executionId;
      if (run.report.status !== 'Succeed') {
        await db.recordVersionLocation({ ...location, remoteDigest: null, status: 'failed', executionId, detail: executionFailure(run) });
        await failAt(saga, 'replicate', operationFailed(executionFailure(run), { harborExecutionId: run.harborExecutionId }));
      }
      copied = true;
      progress.stage = 'verifying';
      await saga.step('verify', async () => {
        const after = await harbor.readRemoteManifest(remoteRef, remoteRepository, ref.tag);
        if (after?.digest === facts.digest) return;
        const detail = after ? `the remote serves ${after.digest}, not ${facts.digest}` : `the remote does not serve ${remoteRepository}:${ref.tag} after the replication`;
        await db.recordVersionLocation({ ...location, remoteDigest: after?.digest ?? null, status: after ? 'mismatch' : 'failed', executionId, detail });
        throw operationFailed(detail, { remoteDigest: after?.digest ?? null, digest: facts.digest });
      });
    }
    progress.stage = 'recording';
    await saga.step('record-location', () => db.recordVersionLocation({ ...location, remoteDigest: facts.digest, status: 'present', executionId, detail: null }));
    const result: PromotionResult = { ref, remote: remoteRegistry.name, remoteRepository, digest: facts.digest, copied, executionId, status: 'present' };
    progress.stage = 'completed';
    if (unchanged) return result;
    const event = {
      id: uuid4(),
      type: 'modelregistry.model.promoted',
      subject: `models/${ref.registry}/${ref.project}/${ref.model}/versions/${ref.tag}`,
      time: new Date().toISOString(),
      data: { ...result, actor: input.actor.username },
    };
    await db.recordAudit({ eventKey: event.id, actor: input.actor.username, action: 'model.promoted', resource: `models/${ref.registry}/${ref.project}/${ref.model}`, details: { tag: ref.tag, digest: facts.digest, remote: remoteRegistry.name, remoteRepository, copied, actorSubject: input.actor.subject } });
    await events.publishEvent(event);
    return result;
  } catch (err) {
    progress.stage = 'failed';
    return saga.fail(err).catch((failure: unknown) => {
      progress.failedStep = (failure as { details?: { failedStep?: string }[] }).details?.[0]?.failedStep;
      throw failure;
    });
  }
}
