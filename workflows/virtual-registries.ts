import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { UpstreamRecord, VirtualRegistryRecord } from '../db/queries/virtual-registries';
import { conflict, notFound } from '../lib/failure-types';
import type { TenantResourceRef, UpstreamCheck, UpstreamPatch, UpstreamPosition, UpstreamSpec, VirtualRegistryPatch, VirtualRegistrySpec } from '../lib/virtual-registries';
import type { Actor } from './actor';
import { profiles } from './activity-options';
import { removeAllCacheEntries } from './virtual-registry-cache';

const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
// One request or two to the upstream; every outcome is an answer, so a retry only covers a lost worker.
const oci = proxyActivities<Activities>(profiles.harbor);

type Change = 'created' | 'updated' | 'deleted';

/** Audits the change and publishes its CloudEvent (`modelregistry.<kind>.<change>`); records carry no credential. */
async function announce(kind: 'upstream' | 'virtual_registry', change: Change, actor: Actor, tenant: string, name: string, data: Record<string, unknown>, details: Record<string, unknown> = {}) {
  const event = { id: uuid4(), type: `modelregistry.${kind}.${change}`, subject: `tenants/${tenant}/${kind === 'upstream' ? 'upstreams' : 'virtual-registries'}/${name}`, time: new Date().toISOString(), data };
  await db.recordAudit({ eventKey: event.id, actor: actor.username, action: `${kind}.${change}`, resource: event.subject, details: { ...details, tenant, actorSubject: actor.subject } });
  await events.publishEvent(event);
}

async function liveUpstream(ref: TenantResourceRef): Promise<UpstreamRecord> {
  const found = await db.findUpstream(ref);
  if (!found) throw notFound(`no upstream "${ref.name}" in tenant ${ref.tenant}`);
  return found;
}

export async function upstreamCreateWorkflow(input: { spec: UpstreamSpec; actor: Actor }): Promise<UpstreamRecord> {
  const { spec } = input;
  if (await db.findUpstream(spec)) throw conflict(`an upstream "${spec.name}" exists in tenant ${spec.tenant}`);
  const upstream = await db.saveUpstream(uuid4(), spec);
  await announce('upstream', 'created', input.actor, spec.tenant, spec.name, { upstream });
  return upstream;
}

/** URL, cache validity, description, and the credential (sealed by the API; null removes it). */
export async function upstreamUpdateWorkflow(input: { ref: TenantResourceRef; patch: UpstreamPatch; actor: Actor }): Promise<UpstreamRecord> {
  await liveUpstream(input.ref);
  const upstream = await db.updateUpstream(input.ref, input.patch);
  await announce('upstream', 'updated', input.actor, input.ref.tenant, input.ref.name, { upstream }, { fields: Object.keys(input.patch).map((f) => (f === 'credential' ? 'credentials' : f)) });
  return upstream;
}

/**
 * Refused (409 naming the virtual registries) while one uses it, unless `force`: then it leaves their
 * lists, each audited. Its cache entries and the objects only they used go with it.
 */
export async function upstreamDeleteWorkflow(input: { ref: TenantResourceRef; actor: Actor; force?: boolean }): Promise<UpstreamRecord> {
  const { upstream, removedFrom } = await db.archiveUpstream(input.ref, input.force === true);
  if (patched('upstream-delete-purges-cache')) await removeAllCacheEntries({ upstreamId: upstream.id });
  for (const name of removedFrom) {
    const registry = await db.findVirtualRegistry({ tenant: input.ref.tenant, name });
    if (registry) await announce('virtual_registry', 'updated', input.actor, input.ref.tenant, name, { virtualRegistry: registry }, { fields: ['upstreams'], removedUpstream: input.ref.name });
  }
  await announce('upstream', 'deleted', input.actor, input.ref.tenant, input.ref.name, { upstream }, removedFrom.length > 0 ? { removedFrom } : {});
  return upstream;
}

/** Reaches the upstream's `/v2/` with its credential now; changes nothing. */
export async function upstreamCheckWorkflow(ref: TenantResourceRef): Promise<UpstreamCheck> {
  return oci.checkUpstream(ref);
}

export async function virtualRegistryCreateWorkflow(input: { spec: VirtualRegistrySpec; actor: Actor }): Promise<VirtualRegistryRecord> {
  const { spec } = input;
  if (await db.findVirtualRegistry(spec)) throw conflict(`a virtual registry "${spec.name}" exists in tenant ${spec.tenant}`);
  const virtualRegistry = await db.saveVirtualRegistry(uuid4(), spec);
  await announce('virtual_registry', 'created', input.actor, spec.tenant, spec.name, { virtualRegistry });
  return virtualRegistry;
}

export async function virtualRegistryUpdateWorkflow(input: { ref: TenantResourceRef; patch: VirtualRegistryPatch; actor: Actor }): Promise<VirtualRegistryRecord> {
  const virtualRegistry = await db.updateVirtualRegistry(input.ref, input.patch);
  await announce('virtual_registry', 'updated', input.actor, input.ref.tenant, input.ref.name, { virtualRegistry }, { fields: Object.keys(input.patch) });
  return virtualRegistry;
}

/** Sets the whole ordered list at once (one transaction); an unknown upstream or another tenant's is a 400 naming it. */
export async function virtualRegistryUpstreamsWorkflow(input: { ref: TenantResourceRef; upstreams: UpstreamPosition[]; actor: Actor }): Promise<VirtualRegistryRecord> {
  const virtualRegistry = await db.setVirtualRegistryUpstreams(input.ref, input.upstreams);
  await announce('virtual_registry', 'updated', input.actor, input.ref.tenant, input.ref.name, { virtualRegistry }, { fields: ['upstreams'] });
  return virtualRegistry;
}

export async function virtualRegistryDeleteWorkflow(input: { ref: TenantResourceRef; actor: Actor }): Promise<VirtualRegistryRecord> {
  const virtualRegistry = await db.archiveVirtualRegistry(input.ref);
  await announce('virtual_registry', 'deleted', input.actor, input.ref.tenant, input.ref.name, { virtualRegistry });
  return virtualRegistry;
}
