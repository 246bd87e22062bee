import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { VersionRef } from '../lib/checkpoints';
import type { Approval } from '../lib/promotion';
import type { Actor } from './actor';
import { profiles } from './activity-options';

const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
const temporal = proxyActivities<Activities>(profiles.database);

export interface ApprovalInput {
  ref: VersionRef;
  /** True approves, false withdraws. */
  approve: boolean;
  actor: Actor;
}

/**
 * Approves the image a version's tag points to for promotion (or withdraws the approval), audits
 * who did it, publishes `modelregistry.model.approved|approval_withdrawn` and wakes the version's
 * promotions waiting for it. The API has already refused the account that pushed the version.
 */
export async function modelApprovalWorkflow(input: ApprovalInput): Promise<Approval> {
  const { ref, actor } = input;
  const approval = await db.setVersionApproval(ref, input.approve ? actor : null);
  const change = input.approve ? 'approved' : 'approval_withdrawn';
  const event = {
    id: uuid4(),
    type: `modelregistry.model.${change}`,
    subject: `models/${ref.registry}/${ref.project}/${ref.model}/versions/${ref.tag}`,
    time: new Date().toISOString(),
    data: { ...ref, digest: approval.digest, approvedBy: approval.approvedBy, approvedAt: approval.approvedAt, actor: actor.username },
  };
  await db.recordAudit({
    eventKey: event.id,
    actor: actor.username,
    action: `model.${change}`,
    resource: `models/${ref.registry}/${ref.project}/${ref.model}`,
    details: { tag: ref.tag, digest: approval.digest, actorSubject: actor.subject },
  });
  await events.publishEvent(event);
  if (input.approve) await temporal.signalWaitingPromotions(ref);
  return approval;
}
