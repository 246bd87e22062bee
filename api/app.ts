import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { KeycloakConfig } from '../activities/keycloak';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { ChangeFeed } from '../db/change-feed';
import type { FillLocks } from '../db/fill-locks';
import type { Db } from '../db/client';
import { createProjectLookup } from '../db/queries/project-lookup';
import type { Logger } from '../lib/logger';
import type { ObjectStore } from '../lib/object-store';
import { createPullService } from '../registry-proxy';
import type { SecretBox } from '../lib/secrets';
import type { AppEnv } from './auth/context';
import { createAuthMiddleware, type AuthDeps } from './auth/middleware';
import { allowedMethodsOf } from './allowed-methods';
import { withSecurity } from './auth/openapi';
import { withCommonResponses } from './document';
import { compileRoutes, ROUTE_POLICIES } from './auth/route-policies';
import { answeredStatus, createMetrics } from './metrics';
import type { MutationDeps } from './operations';
import { createServices } from './services';
import { createWebhookDispatcher } from './webhook-dispatcher';
import { createWebhookSenders } from './webhook-senders';
import { problemBody, problemResponse, ProblemError, RETRY_AFTER, validationProblem } from './problem';
import { requiredBodyOf } from './required-body';
import { createHealthRouter } from './routes/health';
import { createMembersRouter } from './routes/members';
import { createMetricsRouter } from './routes/metrics';
import { createRegistriesRouter } from './routes/registries';
import { createVirtualRegistriesRouter } from './routes/virtual-registries';
import { createReplicationsRouter } from './routes/replications';
import { createRobotsRouter } from './routes/robots';
import { createSwaggerUiRouter } from './routes/swagger-ui';
import { createCheckpointsRouter } from './routes/checkpoints';
import { createCleanupRouter } from './routes/cleanup';
import { createModelsRouter } from './routes/models';
import { createOperationsRouter } from './routes/operations';
import { createProjectsRouter } from './routes/projects';
import { createPullRouter } from './routes/pull';
import { createPullTokensRouter } from './routes/pull-tokens';
import { createPromotionsRouter } from './routes/promotions';
import { createSyncRouter } from './routes/sync';
import { createStorageReclaimRouter } from './routes/storage-reclaim';
import { createTenantsRouter } from './routes/tenants';
import { createUsersRouter } from './routes/users';
import { createWebhooksRouter } from './routes/webhooks';
import { unavailableProblem, withinDeadlines } from './unavailable';

export interface AppDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  mutationWaitMs: number;
  bodyLimitBytes: number;
  logger: Logger;
  /** Registry addresses of the Harbor instances the service manages; the first is the default. */
  registries: string[];
  /** Opens sealed secrets for their one-time reveal (a new robot's secret). */
  secrets: SecretBox;
  /** Bearer token verification and the policy decision point. */
  auth: AuthDeps;
  /** Keycloak's admin API, as the worker uses it; unset: membership and users routes answer 503. */
  keycloak?: KeycloakConfig;
  /** Webhook deliveries handed to Temporal at once, after their answer (default 2). */
  webhookDispatchConcurrency?: number;
  /** How long a promotion waits for an approval unless the request says (default 7 days). */
  promotionApprovalTimeoutSeconds?: number;
  /** The virtual registries' cache; with it the app serves their pull endpoint (`/v2/`), without it not at all. */
  cacheStore?: ObjectStore;
  /** The database's change notifications: with them project lookups are kept in memory until projects change (db/change-feed.ts). */
  changes?: ChangeFeed;
  /** Cache fills of the pull path coordinated across processes (db/fill-locks.ts); a real PostgreSQL only. */
  fillLocks?: FillLocks;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** An upstream the pull path could not reach is skipped this long by the next pulls (registry-proxy/upstream-client.ts). */
const UPSTREAM_SKIP_MS = 30_000;

/** The whole HTTP API: routers per resource under /api/v1, docs, health, and problem+json errors. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const mutations: MutationDeps = { client: deps.client, taskQueue: deps.taskQueue, mutationWaitMs: deps.mutationWaitMs };
  // One lookup for authorization and the handlers: a request's project is read once, and from memory while projects do not change.
  const projects = createProjectLookup(deps.db, deps.changes);
  const services = createServices({ ...deps, projects, mutations });

  const metrics = createMetrics({ db: deps.db });
  app.use(requestId());
  app.use(metrics.middleware);
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.logger.info(
      { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status: answeredStatus(c), ms: Math.round(performance.now() - started) },
      'request',
    );
  });

  app.use('/api/*', (c, next) => withinDeadlines(deps.client, deps.mutationWaitMs, next));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: deps.bodyLimitBytes,
      onError: (c) =>
        problemResponse(c, problemBody(413, 'payload-too-large', 'Request body too large', `the limit is ${deps.bodyLimitBytes} bytes`)),
    }),
  );
  app.use('/api/*', async (c, next) => {
    const type = c.req.header('content-type');
    const hasBody = c.req.header('content-length') !== '0' && (c.req.header('content-length') || c.req.header('transfer-encoding'));
    if (BODY_METHODS.has(c.req.method) && hasBody && !(type && JSON_TYPE.test(type))) {
      return problemResponse(
        c,
        problemBody(415, 'unsupported-media-type', 'Unsupported media type', `expected application/json, got ${type ?? 'no content-type'}`),
      );
    }
    await next();
  });

  const routes = compileRoutes(ROUTE_POLICIES);
  app.use('/api/v1/*', createAuthMiddleware({ ...deps.auth, db: deps.db, client: deps.client, registries: deps.registries, logger: deps.logger, routes, projects }));
  // After authentication, as the routes' own validation is. Built at the first request, once every router has registered its routes.
  let requiresBody: ReturnType<typeof requiredBodyOf> | undefined;
  app.use('/api/v1/*', async (c, next) => {
    requiresBody ??= requiredBodyOf(app.openAPIRegistry.definitions as Parameters<typeof requiredBodyOf>[0]);
    // Neither a type nor a length: no body (a body without a type got its 415 above).
    const noBody = !c.req.header('content-type') && !(c.req.header('content-length') && c.req.header('content-length') !== '0') && !c.req.header('transfer-encoding');
    if (BODY_METHODS.has(c.req.method) && noBody && requiresBody(c.req.method, c.req.path)) {
      return validationProblem(c, [{ field: 'body', message: 'a JSON body is required', code: 'invalid_type' }]);
    }
    await next();
  });

  app.route('/', createHealthRouter(deps));
  app.route('/', createMetricsRouter({ metrics }));
  app.route('/api/v1', createTenantsRouter({ tenants: services.tenants }));
  app.route('/api/v1', createProjectsRouter({ projects: services.projects }));
  app.route('/api/v1', createModelsRouter({ models: services.models }));
  app.route('/api/v1', createCheckpointsRouter({ checkpoints: services.checkpoints }));
  app.route('/api/v1', createMembersRouter({ members: services.members, keycloak: deps.keycloak !== undefined }));
  app.route('/api/v1', createUsersRouter({ users: services.users, keycloak: deps.keycloak !== undefined }));
  app.route('/api/v1', createRobotsRouter({ robots: services.robots }));
  app.route('/api/v1', createRegistriesRouter({ registries: services.remoteRegistries }));
  app.route('/api/v1', createVirtualRegistriesRouter({ virtualRegistries: services.virtualRegistries }));
  app.route('/api/v1', createPullTokensRouter({ pullTokens: services.pullTokens }));
  app.route('/api/v1', createPromotionsRouter({ promotions: services.promotions, remoteRegistries: services.remoteRegistries }));
  app.route('/api/v1', createSyncRouter({ replications: services.replications }));
  app.route('/api/v1', createReplicationsRouter({ replications: services.replications }));
  app.route('/api/v1', createCleanupRouter({ cleanup: services.cleanup }));
  app.route('/api/v1', createStorageReclaimRouter({ storageReclaim: services.storageReclaim }));
  app.route('/api/v1', createOperationsRouter({ operations: services.operations }));
  const dispatcher = createWebhookDispatcher({ db: deps.db, client: deps.client, taskQueue: deps.taskQueue, logger: deps.logger, concurrency: deps.webhookDispatchConcurrency, failures: metrics.dispatchFailures });
  const senders = createWebhookSenders({ db: deps.db, secrets: deps.secrets, registries: deps.registries, logger: deps.logger });
  app.route('/api/v1', createWebhooksRouter({ db: deps.db, senders, dispatcher, metrics }));
  if (deps.cacheStore) {
    const pull = createPullService({ db: deps.db, store: deps.cacheStore, secrets: deps.secrets, logger: deps.logger, fillLocks: deps.fillLocks, skipUnreachableMs: UPSTREAM_SKIP_MS });
    app.route('/', createPullRouter({ auth: deps.auth, pull, logger: deps.logger, db: deps.db, metrics }));
  }

  const document = withCommonResponses(withSecurity(
    app.getOpenAPIDocument({
      openapi: '3.0.3',
      info: {
        title: 'Model Registry',
        version: '0.1.0',
        description:
          'Catalogue, onboarding and housekeeping of ML models stored as OCI artifacts in Harbor. Every change runs as a Temporal workflow. ' +
          'Every /api/v1 route but the Harbor webhook receiver needs a bearer JWT; `x-pbac-action` names the action each route asks the policy for.',
      },
    }),
    ROUTE_POLICIES,
  ), deps.registries);
  app.get('/openapi.json', (c) => c.json(document));
  app.route('/', createSwaggerUiRouter({ documentUrl: '/openapi.json' }));

  // A known path asked with a method it does not serve: 405 with the methods it does (OPTIONS: 204).
  const allowedMethods = allowedMethodsOf(app.routes);
  app.notFound((c) => {
    // Routes are exact: a GET of `/swagger/` or `/api/v1/tenants/` goes to the path without the slash, when that is one.
    const trimmed = c.req.path.length > 1 && c.req.path.endsWith('/') ? c.req.path.slice(0, -1) : undefined;
    if (trimmed && (c.req.method === 'GET' || c.req.method === 'HEAD') && allowedMethods(trimmed).includes('GET')) {
      // Relative, from the path as sent: the client's own origin, scheme and any proxy prefix stay, and
      // no Host header nor absolute request line chooses where it goes.
      const { pathname, search } = new URL(c.req.url);
      const last = pathname.slice(0, -1).split('/').pop()!;
      return c.redirect(`../${last}${search}`, 301);
    }
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) return problemResponse(c, problemBody(404, 'not-found', 'Not found', `no route for ${c.req.method} ${c.req.path}`));
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { allow });
    return problemResponse(c, problemBody(405, 'method-not-allowed', 'Method not allowed', `${c.req.path} answers ${allow}`), { allow });
  });
  app.onError((err, c) => {
    if (err instanceof ProblemError) return problemResponse(c, err.problem, err.headers);
    const unavailable = unavailableProblem(err);
    if (unavailable) {
      deps.logger.warn({ err: err.message, requestId: c.get('requestId'), path: c.req.path }, 'a system the request needs is not answering');
      return problemResponse(c, unavailable, RETRY_AFTER);
    }
    if (err instanceof HTTPException) {
      // Hono's validator's words, with the field as every other 400 names it (the parser's own message would echo the body).
      if (err.status === 400 && /malformed json/i.test(err.message)) {
        return problemResponse(c, problemBody(400, 'validation', 'Malformed JSON in request body', 'body: not valid JSON', { errors: [{ field: 'body', message: 'not valid JSON', code: 'invalid_json' }] }));
      }
      return problemResponse(c, problemBody(err.status, 'bad-request', err.message || 'Bad request'));
    }
    deps.logger.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return problemResponse(c, problemBody(500, 'internal', 'Internal server error', `request id ${c.get('requestId')}`));
  });
  return app;
}
