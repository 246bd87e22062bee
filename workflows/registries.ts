import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RemoteRegistryRecord } from '../db/queries/registries';
import type { PingResult, RemoteRegistryPatch, RemoteRegistryRef, RemoteRegistrySpec, SealedCredential } from '../lib/registries';
import { conflict, failedPrecondition, FailureType, isFailure, notFound } from '../lib/failure-types';
import type { Actor } from './actor';
import { profiles } from './activity-options';
import { removeReplicationRule } from './replications';
import { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
const undo = proxyActivities<Activities>(profiles.compensation);

export interface RemoteRegistryResult {
  remoteRegistry: RemoteRegistryRecord;
  ping: PingResult;
}

async function liveRemoteRegistry(ref: RemoteRegistryRef): Promise<RemoteRegistryRecord> {
  const found = await db.findRemoteRegistry(ref);
  if (!found) throw notFound(`no remote registry "${ref.name}" in ${ref.registry}`);
  return found;
}

/** Audits the change and publishes its CloudEvent; the record carries no credential. */
async function announce(change: 'created' | 'updated' | 'deleted', actor: Actor, remoteRegistry: RemoteRegistryRecord, details: Record<string, unknown> = {}) {
  const event = {
    id: uuid4(),
    type: `modelregistry.registry.${change}`,
    subject: `registries/${remoteRegistry.registry}/${remoteRegistry.name}`,
    time: new Date().toISOString(),
    data: { remoteRegistry },
  };
  await db.recordAudit({
    eventKey: event.id,
    actor: actor.username,
    action: `registry.${change}`,
    resource: event.subject,
    details: { ...details, tenant: remoteRegistry.tenant, actorSubject: actor.subject },
  });
  await events.publishEvent(event);
}

/**
 * Harbor endpoint → ping → catalogue row. An endpoint Harbor cannot reach is refused (409 naming
 * `url`), and so is one whose row cannot be written: either way the Harbor endpoint is deleted.
 */
export async function registryCreateWorkflow(input: { spec: RemoteRegistrySpec; actor: Actor }): Promise<RemoteRegistryResult> {
  const { spec } = input;
  if (await db.findRemoteRegistry(spec)) throw conflict(`a remote registry "${spec.name}" exists in ${spec.registry}`);
  const saga = new Saga();
  try {
    // By name, as the id is unknown when the create timed out; only what Harbor created since this step began.
    const since = Date.now();
    const harborId = await saga.step(
      'create-harbor-registry',
      () => harbor.createHarborRegistry(spec),
      () => undo.deleteHarborRegistryNamed(spec.registry, spec.name, since),
      { didNothing: (err) => isFailure(err, FailureType.Conflict) },
    );
    const ping = await saga.step('ping', () => harbor.pingHarborRegistry(spec.registry, harborId));
    // The request is well-formed; it conflicts with where the endpoint is: 409 naming url.
    if (!ping.reachable) throw failedPrecondition(`url: Harbor cannot reach ${spec.url} (${ping.status})`);
    const remoteRegistry = await saga.step('save-remote-registry', () => db.saveRemoteRegistry(spec, harborId));
    await announce('created', input.actor, remoteRegistry);
    return { remoteRegistry, ping };
  } catch (err) {
    return saga.fail(err);
  }
}

/** Changes the endpoint in Harbor and the row, then pings it again; the answer says whether it is reachable. */
export async function registryUpdateWorkflow(input: { ref: RemoteRegistryRef; patch: RemoteRegistryPatch; actor: Actor }): Promise<RemoteRegistryResult> {
  const current = await liveRemoteRegistry(input.ref);
  await harbor.updateHarborRegistry(input.ref.registry, current.harborRegistryId, input.patch);
  const remoteRegistry = await db.updateRemoteRegistry(input.ref, input.patch);
  const ping = await harbor.pingHarborRegistry(input.ref.registry, current.harborRegistryId);
  await announce('updated', input.actor, remoteRegistry, { fields: Object.keys(input.patch), reachable: ping.reachable });
  return { remoteRegistry, ping };
}

/** A new credential (sealed by the API) in Harbor and the row, then a ping with it. */
export async function registryCredentialsWorkflow(input: { ref: RemoteRegistryRef; credential: SealedCredential; actor: Actor }): Promise<RemoteRegistryResult> {
  const current = await liveRemoteRegistry(input.ref);
  await harbor.updateHarborRegistry(input.ref.registry, current.harborRegistryId, { credential: input.credential });
  const remoteRegistry = await db.updateRemoteRegistry(input.ref, { credential: input.credential });
  const ping = await harbor.pingHarborRegistry(input.ref.registry, current.harborRegistryId);
  await announce('updated', input.actor, remoteRegistry, { fields: ['credentials'], reachable: ping.reachable });
  return { remoteRegistry, ping };
}

/**
 * Deletes the endpoint in Harbor, then archives the row. Refused (409) while our replication rules
 * use it, unless `force`: then those rules go first (their Harbor policies deleted, rows archived,
 * audited). Harbor's own refusal (policies not ours) is a 409 too.
 */
export async function registryDeleteWorkflow(input: { ref: RemoteRegistryRef; actor: Actor; force?: boolean }): Promise<RemoteRegistryRecord> {
  const current = await liveRemoteRegistry(input.ref);
  // Runs that began before replication rules existed checked none (test/histories/registry-delete-before-rules.json).
  const rules = patched('registry-delete-checks-rules') ? await db.liveReplicationRulesOfRemoteRegistry(current.id) : [];
  if (rules.length > 0 && !input.force) {
    const names = rules.map((r) => `${r.project}/${r.name}`);
    throw failedPrecondition(`replication rules use remote registry "${input.ref.name}": ${names.join(', ')}; delete them first, or delete with force=true to delete them too`, { rules: names });
  }
  for (const rule of rules) await removeReplicationRule(rule, input.actor, { forcedBy: `registries/${input.ref.registry}/${input.ref.name}` });
  await harbor.deleteHarborRegistry(input.ref.registry, current.harborRegistryId);
  const remoteRegistry = await db.archiveRemoteRegistry(input.ref);
  await announce('deleted', input.actor, remoteRegistry);
  return remoteRegistry;
}

/** Harbor pings the endpoint now. */
export async function registryPingWorkflow(ref: RemoteRegistryRef): Promise<PingResult> {
  const current = await liveRemoteRegistry(ref);
  return harbor.pingHarborRegistry(ref.registry, current.harborRegistryId);
}
