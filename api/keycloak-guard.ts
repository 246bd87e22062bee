import type { MiddlewareHandler } from 'hono';
import type { createRouter } from './router';
import { notConfigured, problemResponse, ProblemError } from './problem';

const KEYCLOAK_MISSING = notConfigured('Keycloak', 'KEYCLOAK_URL (and KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET)');
const missing: MiddlewareHandler = async (c) => problemResponse(c, KEYCLOAK_MISSING);

/** The service layer's check, for transports without the routes' guard (gRPC): the same 503 problem. */
export function requireKeycloak(configured: boolean): void {
  if (!configured) throw new ProblemError(KEYCLOAK_MISSING);
}

/**
 * Without Keycloak (the light stack) the routes under `path` start nothing, since their workflows
 * could only fail: they answer 503 naming the configuration that is missing.
 */
export function guardKeycloak(router: ReturnType<typeof createRouter>, path: string, configured: boolean): void {
  if (configured) return;
  router.use(path, missing);
  router.use(`${path}/*`, missing);
}
