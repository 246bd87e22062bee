import type { MiddlewareHandler } from 'hono';
import type { createRouter } from './router';
import { notConfiguredProblem } from './problem';

const missing: MiddlewareHandler = async (c) => notConfiguredProblem(c, 'Keycloak', 'KEYCLOAK_URL (and KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET)');

/**
 * Without Keycloak (the light stack) the routes under `path` start nothing, since their workflows
 * could only fail: they answer 503 naming the configuration that is missing.
 */
export function guardKeycloak(router: ReturnType<typeof createRouter>, path: string, configured: boolean): void {
  if (configured) return;
  router.use(path, missing);
  router.use(`${path}/*`, missing);
}
