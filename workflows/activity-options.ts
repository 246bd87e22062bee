import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';

/**
 * The activity profiles of every workflow, one per kind of system called: each workflow file
 * proxies the activities it needs through these (`proxyActivities<Activities>(profiles.harbor)`).
 * A start-to-close time-out is also how a crashed worker's attempt is noticed, so each is kept
 * close to what one attempt needs; a schedule-to-close time-out says how long a failure may last
 * before the workflow gives up (and a saga compensates).
 */

/** Our own PostgreSQL and Kafka: a failure is an outage, so it is retried until they come back. */
const untilBack: RetryPolicy = { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' };

/** Harbor and Keycloak are someone else's: retried with back-off for a bounded time, then the step fails. */
const upstream: RetryPolicy = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '15 seconds' };

export const profiles = {
  /** Catalogue reads and writes: milliseconds each; the largest, a refresh's or a registration's import, stays well under this. */
  database: { startToCloseTimeout: '30 seconds', retry: untilBack },

  /** Temporal itself (signal-with-start of another workflow): ours, so retried until it is back. */
  temporal: { startToCloseTimeout: '30 seconds', retry: untilBack },

  /** Kafka publishing: a broker restart or a leader election passes, so it waits like the database. */
  events: { startToCloseTimeout: '30 seconds', retry: untilBack },

  /** One Harbor call (a request or two; the client's own request time-out is 8 s). */
  harbor: { startToCloseTimeout: '10 seconds', scheduleToCloseTimeout: '3 minutes', retry: upstream },

  /** Harbor calls that page through a whole project (list, count or delete every repository and artifact). */
  harborBulk: { startToCloseTimeout: '2 minutes', scheduleToCloseTimeout: '10 minutes', retry: upstream },

  /** Keycloak's admin API: one activity makes several calls (token, lookups, group changes). */
  keycloak: { startToCloseTimeout: '1 minute', scheduleToCloseTimeout: '3 minutes', retry: upstream },

  /** Compensations must get through: each tolerates what is already gone, so they are retried for long. */
  compensation: { startToCloseTimeout: '20 seconds', scheduleToCloseTimeout: '30 minutes', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } },

  /**
   * The repository entity's batch (Harbor reads, then one catalogue transaction): it heartbeats
   * after each Harbor read, so a killed worker's batch is retried soon; never given up, since the
   * entity's events must land.
   */
  batch: { startToCloseTimeout: '2 minutes', heartbeatTimeout: '15 seconds', retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' } },

  /** Reading a remote registry's catalogue, tags and manifests (a sync): heartbeats per manifest. */
  remoteScan: { startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds', scheduleToCloseTimeout: '15 minutes', retry: upstream },

  /** The virtual registries' cache: a batch of rows and the objects they free, in our PostgreSQL and object store. */
  cache: { startToCloseTimeout: '2 minutes', retry: untilBack },

  /**
   * Fetching a model version into the virtual registries' cache (a warm): a multi-GB blob at a slow
   * upstream takes a while, so a long start-to-close with a heartbeat every 10 s; an upstream that
   * stays down fails the warm after a few attempts rather than retrying for hours.
   */
  cacheFill: { startToCloseTimeout: '2 hours', heartbeatTimeout: '1 minute', retry: { ...upstream, maximumAttempts: 5 } },

  /** The inbox sweep runs on a Schedule: a few attempts, then the next run tries again. */
  sweep: { startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } },
} satisfies Record<string, ActivityOptions>;

/**
 * Local activities run in the worker that runs the workflow task and are recorded as a marker in
 * it: no activity task and no workflow task of their own. For short calls to our own systems on a
 * hot path; a long outage backs off with a timer, as a local retry beyond a minute does.
 */
export const localProfiles = {
  /** Kafka publishing of a repository entity's batch: one produce request. */
  events: { startToCloseTimeout: '10 seconds', retry: untilBack },
} satisfies Record<string, LocalActivityOptions>;
