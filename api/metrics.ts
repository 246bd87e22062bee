import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client';
import { inboxBacklog } from '../db/queries/inbox';

/**
 * The API's Prometheus metrics, in a registry of its own (not prom-client's global one), so that
 * several apps in one process (tests, benchmarks) each count their own.
 */
export function createMetrics(deps: { db: Db }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const httpRequests = new Counter({ name: 'modelregistry_http_requests_total', help: 'HTTP requests by route pattern and status', labelNames, registers: [registry] });
  const httpDuration = new Histogram({
    name: 'modelregistry_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'modelregistry_webhook_deliveries_total',
    help: 'Harbor webhook deliveries: received (new), duplicate, rejected (reason unauthorized, invalid, other_project)',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });
  const dispatchFailures = new Counter({
    name: 'modelregistry_webhook_dispatch_failures_total',
    help: 'Chunks of deliveries the dispatcher could not hand to Temporal (the sweeper retries them)',
    registers: [registry],
  });
  const pullCache = new Counter({
    name: 'modelregistry_pull_cache_total',
    help: 'Answers of the virtual registries\' pull endpoint from the cache or its upstreams, by kind (manifest, blob) and outcome (X-Cache: hit, miss, stale)',
    labelNames: ['method', 'kind', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'modelregistry_webhook_inbox_backlog',
    help: 'Inbox rows by source: undispatched (stored, not yet handed to Temporal) and dispatched (handed over, not yet applied)',
    labelNames: ['source', 'state'] as const,
    registers: [registry],
    // Read at scrape time (invalid rows are never dispatched).
    async collect() {
      const rows = await inboxBacklog(deps.db);
      this.reset();
      for (const r of rows) this.set({ source: r.source, state: r.state }, r.n);
    },
  });

  /** Records every request under its route pattern (`/api/v1/projects/:name`), never the raw path. */
  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const labels = { method: c.req.method, route: routeOf(c), status: String(answeredStatus(c)) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, (performance.now() - started) / 1000);
    }
  };

  return { registry, middleware, webhookDeliveries, dispatchFailures, pullCache };
}
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The status the client was sent. A handler that wrote its answer straight into Node's response (a
 * streamed blob, `RESPONSE_ALREADY_SENT`: the marker Response's status is 200 whatever was sent, e.g.
 * a 206) is asked its real one.
 */
export function answeredStatus(c: Context): number {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  return outgoing?.headersSent && c.res.headers.has('x-hono-already-sent') ? outgoing.statusCode : c.res.status;
}

/**
 * The pattern of the route that answered; a middleware's answer (401, 415, 413) is counted under the
 * route it guarded, and a request no route matches under `unmatched`.
 */
function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  if (answered && answered.method !== 'ALL') return answered.path;
  return routes.find((r) => r.method !== 'ALL')?.path ?? 'unmatched';
}
