import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { connect } from '../db/client';
import { loadConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { createApp } from './app';

/** Serves the API until SIGTERM/SIGINT. */
const config = loadConfig();
if (!config.databaseUrl) {
  logger.fatal('DATABASE_URL is not set (the local stack sets it: npm run stack)');
  process.exit(2);
}
const database = connect(config.databaseUrl);
const connection = await Connection.connect({ address: config.temporalAddress });
const client = new Client({ connection, namespace: config.temporalNamespace });
const app = createApp({ db: database.db, client, logger, ...config });
const server = serve({ fetch: app.fetch, port: config.apiPort, hostname: config.apiHost }, (info) =>
  logger.info({ port: info.port }, 'api listening'),
);

async function shutdown() {
  server.close();
  await connection.close();
  await database.close();
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown());
