import { createServer, type AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { logger } from '../../composition/logger';
import { eventually } from '../support/eventually';
import { readJson } from '../support/http';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { spawnWorker } from '../support/worker-process';

/** The value of the sample `name` whose labels include `labels` (0 when there is none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return 0;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('Prometheus metrics', () => {
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof spawnWorker>>;
  let workerMetrics: string;
  beforeAll(async () => {
    // The work is done by worker.ts in a process of its own, with its metrics endpoint on.
    stack = await startTestStack({ worker: false });
    const port = await freePort();
    worker = await spawnWorker({ ...stack.workerEnv, WORKER_METRICS_PORT: String(port) });
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  const scrape = async (app = stack.app.raw) => {
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const hook = async (body: unknown, authorization?: string, app = stack.app.raw) =>
    app.request('/api/v1/webhooks/harbor', { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });

  it('counts requests by route pattern and status, with latencies, and webhook deliveries by outcome', async () => {
    const tenant = await createTenant(stack, { name: uniqueName('metrics') });
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('metrics') });
    for (let i = 0; i < 3; i++) expect((await stack.app.request(`/api/v1/tenants/${tenant}`)).status).toBe(200);
    expect((await stack.app.raw.request(`/api/v1/tenants/${tenant}`)).status).toBe(401);
    expect((await stack.app.request(`/no/such/${uniqueName('path')}`)).status).toBe(404);

    const [row] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    const auth = `Bearer ${stack.deps.secrets.open(row!.webhook_secret as string)}`;
    const labelled = { type: 'ARTIFACT_LABELED', occur_at: 1_800_000_000, operator: 'admin', event_data: { repository: { name: 'm', namespace: project, repo_full_name: `${project}/m` } } };
    expect(await readJson(await hook(labelled, auth))).toMatchObject({ duplicate: false });
    expect(await readJson(await hook(labelled, auth))).toMatchObject({ duplicate: true });
    expect((await hook(labelled)).status).toBe(401);
    expect((await hook({ not: 'harbor' }, auth)).status).toBe(400);

    const text = await scrape();
    const route = '/api/v1/tenants/:name';
    expect(sample(text, 'modelregistry_http_requests_total', { method: 'GET', route, status: '200' })).toBe(3);
    expect(sample(text, 'modelregistry_http_requests_total', { method: 'GET', route, status: '401' })).toBe(1);
    expect(sample(text, 'modelregistry_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(text, 'modelregistry_http_requests_total', { method: 'POST', route: '/api/v1/projects', status: '201' })).toBe(1);
    expect(sample(text, 'modelregistry_http_request_duration_seconds_count', { method: 'GET', route, status: '200' })).toBe(3);
    expect(sample(text, 'modelregistry_http_request_duration_seconds_bucket', { method: 'GET', route, status: '200', le: '+Inf' })).toBe(3);
    // Patterns, never raw paths: no label holds a tenant's or a path's own name.
    expect(text).not.toContain(tenant);
    expect(text).not.toContain('/no/such/');
    expect(sample(text, 'modelregistry_webhook_deliveries_total', { outcome: 'received' })).toBe(1);
    expect(sample(text, 'modelregistry_webhook_deliveries_total', { outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'modelregistry_webhook_deliveries_total', { outcome: 'rejected', reason: 'unauthorized' })).toBe(1);
    expect(sample(text, 'modelregistry_webhook_deliveries_total', { outcome: 'rejected', reason: 'invalid' })).toBe(1);
  });

  it('shows the inbox backlog and dispatcher failures', async () => {
    const { project } = await onboardProject(stack, await createTenant(stack), { name: uniqueName('backlog') });
    const [row] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    const auth = `Bearer ${stack.deps.secrets.open(row!.webhook_secret as string)}`;
    // An API whose Temporal is unreachable: the delivery is stored, its hand-over fails.
    const lazy = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const offline = createApp({ db: stack.database.db, client: lazy, taskQueue: stack.taskQueue, mutationWaitMs: 0, bodyLimitBytes: 1 << 20, logger: logger.child({}, { level: 'silent' }), registries: [stack.registry], secrets: stack.deps.secrets, auth: stack.auth.deps });
    const source = `harbor:${stack.registry}`;
    const backlog = async (state: string) => sample(await scrape(offline), 'modelregistry_webhook_inbox_backlog', { source, state });
    expect(await backlog('undispatched')).toBe(0);
    const push = { type: 'PUSH_ARTIFACT', occur_at: 1_800_000_000, operator: 'admin', event_data: { resources: [{ digest: `sha256:${'ef'.repeat(32)}`, tag: '1.0.0' }], repository: { name: 'm', namespace: project, repo_full_name: `${project}/m` } } };
    const { id } = await readJson(await hook(push, auth, offline));
    expect(await backlog('undispatched')).toBe(1);
    // The client retries an unreachable Temporal for about 20 s before the hand-over fails.
    await eventually('the failed hand-over counted', async () => sample(await scrape(offline), 'modelregistry_webhook_dispatch_failures_total') === 1, { timeoutMs: 50_000 });

    // Handed over and not yet applied.
    await stack.database.sql`update modelregistry.webhook_events set status = 'dispatched', dispatched_at = now() where id = ${id}`;
    expect(await backlog('undispatched')).toBe(0);
    expect(await backlog('dispatched')).toBe(1);
  }, 90_000);

  it('the worker serves the Temporal SDK\'s metrics on its own port', async () => {
    let text = '';
    await eventually('temporal_ series from the worker', async () => {
      const res = await fetch(workerMetrics).catch(() => undefined);
      text = res?.ok ? await res.text() : '';
      return /^temporal_\w+/m.test(text);
    });
    expect(text).toMatch(new RegExp(`^temporal_\\w+\\{[^}]*task_queue="${stack.taskQueue}"`, 'm'));
  });
});
