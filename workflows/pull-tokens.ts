import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PullTokenRecord } from '../db/queries/pull-tokens';
import { conflict, notFound } from '../lib/failure-types';
import type { PullTokenSpec } from '../lib/pull-tokens';
import type { TenantResourceRef } from '../lib/virtual-registries';
import type { Actor } from './actor';
import { profiles } from './activity-options';

const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

/** Audits the change and publishes its CloudEvent (`modelregistry.pull_token.<change>`); the record holds neither token nor hash. */
async function announce(change: 'created' | 'revoked', actor: Actor, pullToken: PullTokenRecord) {
  const subject = `tenants/${pullToken.tenant}/pull-tokens/${pullToken.name}`;
  const event = { id: uuid4(), type: `modelregistry.pull_token.${change}`, subject, time: new Date().toISOString(), data: { pullToken } };
  await db.recordAudit({ eventKey: event.id, actor: actor.username, action: `pull_token.${change}`, resource: subject, details: { tenant: pullToken.tenant, actorSubject: actor.subject } });
  await events.publishEvent(event);
}

/** A new pull token; it comes back sealed, for the API's one-time reveal. */
export async function pullTokenCreateWorkflow(input: { spec: PullTokenSpec; actor: Actor }): Promise<{ pullToken: PullTokenRecord; sealedSecret: string }> {
  const { spec, actor } = input;
  if (await db.findPullToken(spec)) throw conflict(`a pull token "${spec.name}" exists in tenant ${spec.tenant}`);
  const created = await db.createPullToken(uuid4(), { ...spec, createdBy: actor.username });
  await announce('created', actor, created.pullToken);
  return created;
}

/** Revokes the token: the next pull with it is refused. Its row stays (revoked), its name is free again. */
export async function pullTokenRevokeWorkflow(input: { ref: TenantResourceRef; actor: Actor }): Promise<PullTokenRecord> {
  const found = await db.findPullToken(input.ref);
  if (!found) throw notFound(`no pull token "${input.ref.name}" in tenant ${input.ref.tenant}`);
  const pullToken = await db.revokePullToken(found.id);
  await announce('revoked', input.actor, pullToken);
  return pullToken;
}
