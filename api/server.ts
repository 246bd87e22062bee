import { Client, Connection } from '@temporalio/client';
import { listenForChanges } from '../db/change-feed';
import { createFillLocks } from '../db/fill-locks';
import { connect } from '../db/client';
import { harborConfigFromEnv, loadConfig } from '../lib/config';
import { createSecretBox, parseKey } from '../lib/secrets';
import { createObjectStore } from '../storage';
import { logger } from '../composition/logger';
import { createApp } from './app';
import { serveApi } from './http-server';
import { authFromConfig } from './auth';
import { startGrpcServer } from './grpc/server';

/** Serves the API until SIGTERM/SIGINT. */
const config = loadConfig();
if (!config.databaseUrl) {
  logger.fatal('DATABASE_URL is not set (the local stack sets it: npm run stack)');
  process.exit(2);
}
const database = connect(config.databaseUrl);
// Project lookups stay in memory until PostgreSQL says projects changed.
const changes = listenForChanges(config.databaseUrl, logger);
// Pulls of one uncached blob in several API processes (and the worker's warms) fetch it from the upstream once.
const fillLocks = createFillLocks(config.databaseUrl);
const connection = await Connection.connect(config.temporal);
const client = new Client({ connection, namespace: config.temporalNamespace });
if (!config.secretsKey) {
  logger.fatal('SECRETS_KEY is not set (32 random bytes, base64: openssl rand -base64 32)');
  process.exit(2);
}
if (!config.auth.issuer) {
  logger.fatal('AUTH_ISSUER is not set (the OpenID issuer of the bearer tokens, e.g. https://keycloak/realms/model-registry)');
  process.exit(2);
}
const registries = (harborConfigFromEnv() ?? []).map((h) => h.address);
// One verifier (and its JWKS cache) and one PDP for both transports.
const shared = { db: database.db, client, logger, ...config, registries, secrets: createSecretBox(parseKey(config.secretsKey)), auth: authFromConfig(config.auth, logger), cacheStore: createObjectStore(config), changes, fillLocks };
const app = createApp(shared);
const server = serveApi(app.fetch, { port: config.apiPort, hostname: config.apiHost }, (port) => logger.info({ port }, 'api listening'));
const grpc = await startGrpcServer(shared, { port: config.grpcPort, host: config.apiHost });
logger.info({ port: grpc.port }, 'grpc listening');

async function shutdown() {
  server.close();
  await grpc.close();
  await connection.close();
  await changes.close();
  await fillLocks.close();
  await database.close();
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown());
