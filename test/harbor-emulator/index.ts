import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { EmulatorClock } from './clock';
import { type EmulatorContext, ResponseViolationError } from './context';
import { Faults } from './faults';
import { BackgroundJobs } from './jobs';
import { createOciReader } from './oci';
import { ociProxy } from './proxy';
import { gcRoutes } from './routes/gc';
import { immutableRoutes } from './routes/immutable';
import { projectRoutes } from './routes/projects';
import { DEFAULT_REPLICATION_OPTIONS, JOBSERVICE_USER, type ReplicationOptions, Replicator } from './replication';
import { registryRoutes } from './routes/registries';
import { replicationRoutes } from './routes/replication';
import { repositoryRoutes } from './routes/repositories';
import { retentionRoutes } from './routes/retention';
import { robotRoutes } from './routes/robots';
import { systemRoutes } from './routes/system';
import { webhookPolicyRoutes } from './routes/webhook-policies';
import { EmulatorState } from './state';
import { createResponseValidator, type ResponseViolation } from './validate';
import { WebhookSender } from './webhooks';

export interface HarborEmulatorOptions {
  /** The real OCI registry behind the emulator's /v2/. */
  registryUrl: string;
  username?: string;
  password?: string;
  /** 'throw' (tests): an answer that violates Harbor's definition becomes a 500 and is recorded; 'record': recorded only. */
  validate?: 'throw' | 'record';
  port?: number;
  host?: string;
  scanDelayMs?: number;
  /** Where the state outlives a run (the local stack keeps it beside its registry's data); in memory without. */
  stateFile?: string;
  /** Replication jobs' retries and chunk size; Harbor's defaults without (tests shorten the back-off). */
  replication?: Partial<ReplicationOptions>;
  /** Harbor's ARTIFACT_PULL_ASYNC_FLUSH_DURATION in ms (Harbor: 10 s); 0 (default): pull times are written at the pull. */
  pullTimeFlushMs?: number;
  /** Harbor's GC time window: blobs pushed less than this many hours ago are not collected (Harbor's default: 2). */
  gcTimeWindowHours?: number;
  /**
   * Waits before a webhook's second and third tries. Harbor's job service backs off for tens of
   * seconds, so a receiver restarting meanwhile still gets the event; none by default, so that a
   * test of a failing receiver settles at once.
   */
  webhookRetryDelaysMs?: [number, number];
  /** Pushes and deletes at /v2/ without credentials (default true: the tests push anonymously); false answers them 401, as Harbor. */
  anonymousWrites?: boolean;
}

/** Times to give an artifact, ISO strings; a tag's apply to that tag only. */
export interface ArtifactTimes {
  pushTime?: string;
  pullTime?: string;
  tags?: Record<string, { pushTime?: string; pullTime?: string }>;
}

export interface HarborEmulator {
  url: string;
  /** host:port to push to, the first part of a model's full name. */
  registryAddress: string;
  username: string;
  password: string;
  faults: Faults;
  state: EmulatorState;
  webhooks: WebhookSender;
  /** Replication executions running in the background; `idle()` waits for them. */
  replication: Replicator;
  /** The time artifacts age by: `clock.advance(ms)` ages everything without waiting. */
  clock: EmulatorClock;
  /** Sets an artifact's (and its tags') push and pull times, as if it had been pushed or pulled then. */
  setArtifactTimes(repository: string, digest: string, times: ArtifactTimes): void;
  /** Retention and GC executions running in the background; `idle()` waits for them. */
  jobs: BackgroundJobs;
  violations: ResponseViolation[];
  stop(): Promise<void>;
}

const ANONYMOUS = new Set(['GET /api/v2.0/ping', 'GET /api/v2.0/health', 'GET /api/v2.0/systeminfo']);

/** A Harbor v2.15 API subset over a real OCI registry, sending Harbor's webhooks. See test/harbor-emulator/README.md. */
export async function startHarborEmulator(opts: HarborEmulatorOptions): Promise<HarborEmulator> {
  const username = opts.username ?? 'admin';
  const password = opts.password ?? 'Harbor12345';
  let address = '';
  const faults = new Faults();
  const state = new EmulatorState();
  const persist = opts.stateFile ? persistState(state, opts.stateFile) : undefined;
  // The replicator needs the context it belongs to: it is set right below.
  const ctx = {
    state,
    oci: createOciReader(opts.registryUrl),
    faults,
    webhooks: new WebhookSender(faults, opts.webhookRetryDelaysMs),
    registryAddress: () => address,
    validate: createResponseValidator(),
    violations: [],
    mode: opts.validate ?? 'throw',
    scanDelayMs: opts.scanDelayMs ?? 200,
    clock: new EmulatorClock(state),
    jobs: new BackgroundJobs(() => persist?.soon()),
    pullTimeFlushMs: opts.pullTimeFlushMs ?? 0,
    gcTimeWindowHours: opts.gcTimeWindowHours ?? 2,
    jobservice: { username: JOBSERVICE_USER, password: randomBytes(16).toString('hex') },
  } as Omit<EmulatorContext, 'replication'> as EmulatorContext;
  ctx.replication = new Replicator(ctx, {
    ...DEFAULT_REPLICATION_OPTIONS,
    ...opts.replication,
    registryUrl: opts.registryUrl.replace(/\/+$/, ''),
    admin: { username, password },
    jobservice: ctx.jobservice,
    changed: () => persist?.soon(),
  });
  ctx.replication.failInterrupted();
  state.failInterruptedJobs(ctx.clock.now());
  const app = new Hono();
  // Any request but a read may change the state (API writes and registry pushes alike): written before
  // the answer goes out, so that what a caller was told was done survives a kill -9 right after.
  if (persist) app.use(async (c, next) => {
    await next();
    // A blob upload's chunks change nothing of Harbor's (the manifest's PUT does): no state write each.
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !BLOB_UPLOAD.test(c.req.path)) persist.now();
  });
  const api = new Hono();
  api.use(async (c, next) => {
    if (ANONYMOUS.has(`${c.req.method} ${c.req.path}`)) return next();
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    if (c.req.header('authorization') !== expected) {
      return c.json({ errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] }, 401, { 'www-authenticate': 'Basic realm="harbor"' });
    }
    return next();
  });
  projectRoutes(api, ctx);
  webhookPolicyRoutes(api, ctx);
  repositoryRoutes(api, ctx);
  robotRoutes(api, ctx);
  registryRoutes(api, ctx);
  replicationRoutes(api, ctx);
  retentionRoutes(api, ctx);
  immutableRoutes(api, ctx);
  gcRoutes(api, ctx);
  systemRoutes(api, ctx);

  app.route('/api/v2.0', api);
  ociProxy(app, ctx, opts.registryUrl.replace(/\/+$/, ''), { username, password }, opts.anonymousWrites ?? true);
  app.notFound((c) => c.json({ errors: [{ code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` }] }, 404));
  app.onError((err, c) => {
    if (err instanceof ResponseViolationError) return c.json({ errors: [{ code: 'EMULATOR_SCHEMA_VIOLATION', message: err.message }] }, 500);
    if (err instanceof SyntaxError) return c.json({ errors: [{ code: 'BAD_REQUEST', message: `invalid JSON: ${err.message}` }] }, 400);
    return c.json({ errors: [{ code: 'UNKNOWN', message: err instanceof Error ? err.message : String(err) }] }, 500);
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: opts.host ?? '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  address = `127.0.0.1:${port}`;
  return {
    url: `http://${address}`,
    registryAddress: address,
    username,
    password,
    faults,
    state: ctx.state,
    webhooks: ctx.webhooks,
    replication: ctx.replication,
    clock: ctx.clock,
    jobs: ctx.jobs,
    setArtifactTimes(repository, digest, times) {
      const known = state.artifacts.get(`${repository}@${digest}`);
      if (!known) throw new Error(`the emulator knows no artifact ${repository}@${digest}`);
      if (times.pushTime) known.pushTime = times.pushTime;
      if (times.pullTime) known.pullTime = times.pullTime;
      for (const [tag, t] of Object.entries(times.tags ?? {})) {
        if (t.pushTime) state.tagPushTimes.set(`${repository}:${tag}`, t.pushTime);
        if (t.pullTime) state.tagPullTimes.set(`${repository}:${tag}`, t.pullTime);
      }
      // Reads of the repository list artifacts newest push first.
      state.changed(repository);
      persist?.soon();
    },
    violations: ctx.violations,
    async stop() {
      await ctx.jobs.idle();
      await ctx.replication.close();
      ctx.webhooks.close();
      await ctx.webhooks.idle();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      persist?.now();
    },
  };
}

/** Loads the state from `file` when it exists, and writes it back shortly after changes (atomically: a temp file renamed). */
const BLOB_UPLOAD = /^\/v2\/.+\/blobs\/uploads\//;

function persistState(state: EmulatorState, file: string) {
  if (existsSync(file)) state.restore(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
  let timer: NodeJS.Timeout | undefined;
  const now = () => {
    clearTimeout(timer);
    timer = undefined;
    writeFileSync(`${file}.tmp`, JSON.stringify(state.snapshot()));
    renameSync(`${file}.tmp`, file);
  };
  return { now, soon: () => void (timer ??= setTimeout(now, 200)) };
}
