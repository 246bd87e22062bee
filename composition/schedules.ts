import { type Client, ScheduleAlreadyRunning, type ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import { upgradeRuleSyncSchedules } from '../activities/temporal/sync-schedules';
import { storageReclaimWorkflowId } from '../lib/workflow-ids';
import type { StorageReclaimRequest } from '../workflows/storage-reclaim';
import type { CacheMaintenanceInput } from '../workflows/virtual-registry-cache';

export const SWEEPER_SCHEDULE_ID = 'webhook-inbox-sweeper';
export const RECONCILIATION_SCHEDULE_ID = 'catalogue-reconciliation';
export const MEMBERSHIP_SCHEDULE_ID = 'membership-sync';
export const REPLICATION_POLLER_SCHEDULE_ID = 'replication-execution-poller';
export const CACHE_MAINTENANCE_SCHEDULE_ID = 'virtual-registry-cache-maintenance';
/** One per Harbor instance, named like the workflow it starts. */
export const storageReclaimScheduleId = storageReclaimWorkflowId;

export interface StorageReclaimScheduleOptions {
  /** The Harbor instances to reclaim, one Schedule each. */
  registries: string[];
  cron: string;
  /** Paused unless enabled: visible in the Web UI, run by hand there or unpaused there. */
  enabled: boolean;
}

/** The periodic work of the service as Temporal Schedules (visible and pausable in the Web UI); creating one that exists is a no-op. */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
  opts: { reconcileEveryMinutes?: number; membershipSyncEveryMinutes?: number; storageReclaim?: StorageReclaimScheduleOptions; cacheMaintenance?: { everyHours: number; unusedDays: number } } = {},
): Promise<void> {
  await createOnce(client, {
    scheduleId: RECONCILIATION_SCHEDULE_ID,
    spec: { intervals: [{ every: `${opts.reconcileEveryMinutes ?? 60} minutes` }] },
    action: { type: 'startWorkflow', workflowType: 'reconcileAllWorkflow', args: [], taskQueue, workflowId: 'catalogue-reconciliation' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: 'Refresh every managed project from Harbor, repairing lost webhooks' },
  });
  await createOnce(client, {
    scheduleId: SWEEPER_SCHEDULE_ID,
    spec: { intervals: [{ every: '1 minute' }] },
    action: { type: 'startWorkflow', workflowType: 'webhookSweepWorkflow', args: [30], taskQueue, workflowId: 'webhook-inbox-sweep' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: 'Re-dispatch Harbor webhook deliveries stored but not handed to Temporal' },
  });
  await createOnce(client, {
    scheduleId: REPLICATION_POLLER_SCHEDULE_ID,
    spec: { intervals: [{ every: '1 minute' }] },
    action: { type: 'startWorkflow', workflowType: 'replicationPollWorkflow', args: [180], taskQueue, workflowId: 'replication-execution-poll' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: 'Refresh replication executions still in progress that Harbor was not asked about for 3 minutes (a lost webhook, a dead follower)' },
  });
  const maintenance: CacheMaintenanceInput = { unusedDays: opts.cacheMaintenance?.unusedDays ?? 30, orphanGraceSeconds: 300, unfinishedAgeHours: 24 };
  await createOnce(client, {
    scheduleId: CACHE_MAINTENANCE_SCHEDULE_ID,
    spec: { intervals: [{ every: `${opts.cacheMaintenance?.everyHours ?? 24} hours` }] },
    action: { type: 'startWorkflow', workflowType: 'cacheMaintenanceWorkflow', args: [maintenance], taskQueue, workflowId: 'virtual-registry-cache-maintenance' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: `Expire virtual-registry cache entries unused for ${maintenance.unusedDays} days, remove what fills that died half way left, then delete objects no entry points to` },
  });
  for (const registry of opts.storageReclaim?.registries ?? []) await ensureStorageReclaimSchedule(client, taskQueue, registry, opts.storageReclaim!);
  await upgradeRuleSyncSchedules(client, taskQueue);
  // Without Keycloak there is no membership to sync.
  if (opts.membershipSyncEveryMinutes === undefined) return;
  await createOnce(client, {
    scheduleId: MEMBERSHIP_SCHEDULE_ID,
    spec: { intervals: [{ every: `${opts.membershipSyncEveryMinutes} minutes` }] },
    action: { type: 'startWorkflow', workflowType: 'membershipSyncAllWorkflow', args: [], taskQueue, workflowId: 'membership-sync' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: "Make every managed project's Harbor members match its Keycloak groups" },
  });
}

/**
 * Harbor's garbage collection (untagged artifacts deleted, dry run first) on the configured cron.
 * An existing Schedule takes a changed cron; its paused state is the operator's and stays. Its run
 * is `scheduledStorageReclaimWorkflow`: the reclaim under the API's key, never beside one running.
 */
async function ensureStorageReclaimSchedule(client: Client, taskQueue: string, registry: string, opts: StorageReclaimScheduleOptions): Promise<void> {
  const spec = { cronExpressions: [opts.cron] };
  const request: StorageReclaimRequest = { registry, deleteUntagged: true, dryRun: false };
  const action = { type: 'startWorkflow' as const, workflowType: 'scheduledStorageReclaimWorkflow', args: [request], taskQueue, workflowId: storageReclaimWorkflowId(registry) };
  try {
    await client.schedule.create({
      scheduleId: storageReclaimScheduleId(registry),
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { paused: !opts.enabled, note: opts.enabled ? undefined : 'paused until STORAGE_RECLAIM_ENABLED=true, or unpaused here' },
      memo: { purpose: `Reclaim ${registry}'s storage: Harbor's garbage collection, dry run first` },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // The action too: one made before ran the reclaim under an id of its own.
    await client.schedule.getHandle(storageReclaimScheduleId(registry)).update((current) => ({ ...current, spec, action }));
  }
}

async function createOnce(client: Client, options: ScheduleOptions): Promise<void> {
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
