import { createRoute, z } from '@hono/zod-openapi';
import type { Metrics } from '../metrics';
import { createRouter } from '../router';

const scrape = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['Health'],
  summary: 'Prometheus metrics of the API (no authentication: expose it to the scraper only)',
  responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
});

export function createMetricsRouter(deps: { metrics: Metrics }) {
  const router = createRouter();
  router.openapi(scrape, async (c) => c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));
  return router;
}
