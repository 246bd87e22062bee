import { Context } from '@temporalio/activity';
import { failedPrecondition } from '../../lib/failure-types';
import type { HarborGcHistory } from './client';
import { isConflict } from './errors';
import type { HarborInstances } from './instances';
import { createdDuringThisActivity } from './provenance';

/** One Harbor GC run as the storage-reclaim workflow reports it. */
export interface GcRunReport {
  /** Harbor's id of the run (`/system/gc/{id}`). */
  gcId: number;
  dryRun: boolean;
  /** Harbor's job status: `Pending`, `Running`, then `Success`, `Error` or `Stopped`. */
  status: string;
  /** Whether the status is final. */
  finished: boolean;
  /** What Harbor freed (a dry run: would free), from the run's `job_parameters`; 0 until it ends. */
  freedBytes: number;
  purgedBlobs: number;
  purgedManifests: number;
}

/** Job statuses after which a GC run changes no more (src/jobservice/job/status.go). */
const FINAL_STATUSES = new Set(['Success', 'Error', 'Stopped']);

const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A run's `job_parameters` JSON string: what it was given, and what Harbor's check-in wrote. */
function jobParameters(run: HarborGcHistory): Record<string, unknown> {
  try {
    return JSON.parse(run.job_parameters ?? '{}') as Record<string, unknown>;
  } catch {
    return {}; // Harbor keeps what it was given; an unreadable one reports nothing freed.
  }
}

/** Harbor's check-in writes the result into the run's `job_parameters` JSON string. */
export function gcRunReport(run: HarborGcHistory): GcRunReport {
  const params = jobParameters(run);
  const status = run.job_status ?? 'Pending';
  return {
    gcId: run.id ?? 0,
    dryRun: params.dry_run === true,
    status,
    finished: FINAL_STATUSES.has(status),
    freedBytes: count(params.freed_space),
    purgedBlobs: count(params.purged_blobs),
    purgedManifests: count(params.purged_manifests),
  };
}

/** Harbor's garbage collection: start one run, read it. Each is one short call, so polling needs no heartbeat. */
export function createHarborGcActivities(deps: { harbor: HarborInstances }) {
  return {
    /**
     * Starts a manual GC now; its id. A run Harbor started while this activity ran, with the same
     * dry-run flag, is an earlier attempt's whose answer was lost: a retry takes it, running or ended.
     * Harbor runs one GC at a time (409): any other running is someone else's, a FailedPrecondition
     * (retry once it has finished).
     */
    async startHarborGc(registry: string, opts: { dryRun: boolean; deleteUntagged: boolean }): Promise<number> {
      const client = deps.harbor.get(registry);
      // A retry: the run an earlier attempt started may have ended already (a dry run takes seconds), so no 409 tells of it.
      if (Context.current().info.attempt > 1) {
        const earlier = (await client.gc.history()).find((run) => {
          const params = jobParameters(run);
          return params.dry_run === opts.dryRun && params.delete_untagged === opts.deleteUntagged && createdDuringThisActivity(run.creation_time);
        });
        if (earlier?.id !== undefined) return earlier.id;
      }
      try {
        const id = await client.gc.schedule('Manual', { delete_untagged: opts.deleteUntagged, dry_run: opts.dryRun, workers: 1 });
        if (id === undefined) throw new Error('Harbor started a GC without saying its id');
        return id;
      } catch (err) {
        if (!isConflict(err)) throw err;
        const ours = (await client.gc.history()).find(
          (run) => !gcRunReport(run).finished && gcRunReport(run).dryRun === opts.dryRun && createdDuringThisActivity(run.creation_time),
        );
        if (ours?.id !== undefined) return ours.id;
        throw failedPrecondition(`Harbor ${registry} is already running a garbage collection; retry once it has finished`);
      }
    },

    async readHarborGc(registry: string, gcId: number): Promise<GcRunReport> {
      return gcRunReport(await deps.harbor.get(registry).gc.get(gcId));
    },
  };
}
