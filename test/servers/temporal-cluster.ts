import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import type { TemporalConnectionConfig } from '../../lib/temporal-connection';
import { freePortIn, waitForPort } from './ports';
import { SEARCH_ATTRIBUTES } from './temporal';

const execFileAsync = promisify(execFile);
const ensureScript = fileURLToPath(new URL('../../scripts/ensure-temporal-server.sh', import.meta.url));
const configFile = fileURLToPath(new URL('../../composition/temporal-server/config.yaml', import.meta.url));

/** Absolute path of the real Temporal server (scripts/ensure-temporal-server.sh builds it on first use); temporal-sql-tool is beside it. */
export function temporalServerExecutable(): string {
  return execFileSync('bash', [ensureScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export interface TemporalClusterOptions {
  /** The PostgreSQL the cluster keeps its two databases on (its database part is not used). */
  postgresUrl: string;
  /** The persistence database's name; visibility's is `<database>_visibility`. Created or brought up to date by temporal-sql-tool. */
  database?: string;
  /** The frontend's gRPC port on 127.0.0.1 (a free one when unset); the other services take free ports. */
  port?: number;
  namespace?: string;
  /** A directory with ca.pem, server.pem/.key and client.pem/.key (test/servers/tls-certs.ts): the frontend then takes mTLS only. */
  tlsDir?: string;
  /** Where the server writes its log, kept after `stop()` (unset: a temporary file that `stop()` removes). */
  logFile?: string;
}

export interface TemporalCluster {
  /** 127.0.0.1:<frontend port>. */
  address: string;
  namespace: string;
  /** What `Connection.connect` / `NativeConnection.connect` take to reach it (with the client certificate under mTLS). */
  connection: TemporalConnectionConfig;
  /** The server process's pid, for benchmarks reading /proc. */
  pid: number;
  logFile: string;
  /** SIGTERM (the server's graceful shutdown), SIGKILL if it has not exited after 15 s. */
  stop(): Promise<void>;
}

/** The operator API's IndexedValueType numbers (temporal.api.enums.v1) of the kinds of search attribute the project defines. */
const INDEXED_VALUE_TYPE: Partial<Record<SearchAttributeType, number>> = { [SearchAttributeType.TEXT]: 1, [SearchAttributeType.KEYWORD]: 2 };

/**
 * The real Temporal server (all four services in one process) on loopback, persistence and SQL
 * visibility on PostgreSQL, configured by composition/temporal-server/config.yaml. Its databases are
 * created and migrated by temporal-sql-tool (idempotent: a restart on the same databases keeps their
 * workflows); then the namespace and the project's custom search attributes are registered through the
 * operator API (what the dev server does with flags), and start-up waits until a workflow start with
 * them is accepted (the frontend's namespace cache refreshes every few seconds).
 */
export async function startTemporalCluster(opts: TemporalClusterOptions): Promise<TemporalCluster> {
  const server = temporalServerExecutable();
  const pg = new URL(opts.postgresUrl);
  const database = opts.database ?? 'temporal';
  const namespace = opts.namespace ?? 'default';
  await setUpDatabase(join(dirname(server), 'temporal-sql-tool'), pg, database, 'postgresql/v12/temporal');
  await setUpDatabase(join(dirname(server), 'temporal-sql-tool'), pg, `${database}_visibility`, 'postgresql/v12/visibility');

  // The cluster_membership table keeps ports in a smallint: every port below 32768 (and the kernel's ephemeral range).
  const port = opts.port ?? (await freePortIn(20_000, 32_767));
  const ports: Record<string, number> = { FRONTEND_PORT: port };
  for (const name of ['FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_PORT', 'HISTORY_MEMBERSHIP_PORT', 'MATCHING_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_PORT', 'WORKER_MEMBERSHIP_PORT']) {
    // Each is released before the next is picked: the same one could come up twice.
    do ports[name] = await freePortIn(20_000, 32_767);
    while (Object.entries(ports).some(([other, p]) => other !== name && p === ports[name]));
  }
  const env: Record<string, string> = {
    TEMPORAL_CLUSTER_PG_HOST: pg.hostname,
    TEMPORAL_CLUSTER_PG_PORT: pg.port || '5432',
    TEMPORAL_CLUSTER_PG_USER: decodeURIComponent(pg.username) || 'postgres',
    TEMPORAL_CLUSTER_PG_PASSWORD: decodeURIComponent(pg.password),
    TEMPORAL_CLUSTER_DB: database,
    TEMPORAL_CLUSTER_VISIBILITY_DB: `${database}_visibility`,
    ...(opts.tlsDir ? { TEMPORAL_CLUSTER_TLS_DIR: opts.tlsDir } : {}),
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [`TEMPORAL_CLUSTER_${k}`, String(v)])),
  };
  const logFile = opts.logFile ?? join(tmpdir(), `temporal-server-${process.pid}-${port}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(server, ['--config-file', configFile, '--allow-no-auth', 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(hard);
    }
    // A log of our own choosing goes with the server; one the caller named stays.
    if (!opts.logFile) rmSync(logFile, { force: true });
  };
  const address = `127.0.0.1:${port}`;
  const connection: TemporalConnectionConfig = {
    address,
    tls: opts.tlsDir
      ? {
          serverNameOverride: 'localhost',
          serverRootCACertificate: readFileSync(join(opts.tlsDir, 'ca.pem')),
          clientCertPair: { crt: readFileSync(join(opts.tlsDir, 'client.pem')), key: readFileSync(join(opts.tlsDir, 'client.key')) },
        }
      : false,
    apiKey: undefined,
  };
  try {
    const failed = exited.then(() => {
      throw new Error(`the Temporal server exited (${child.exitCode ?? child.signalCode})`);
    });
    failed.catch(() => undefined);
    await Promise.race([waitForPort(port, 120_000, 'the Temporal server'), failed]);
    await Promise.race([register(connection, namespace), failed]);
  } catch (err) {
    const serverLog = readFileSync(logFile, 'utf8').slice(-4000);
    await stop();
    throw new Error(`${(err as Error).message}\nserver log:\n${serverLog}`);
  }
  return { address, namespace, connection, pid: child.pid!, logFile, stop };
}

/** create-database, the versioning tables, then every versioned step up to the module's own schema: each a no-op when done before. */
async function setUpDatabase(tool: string, pg: URL, database: string, schemaName: string) {
  const base = ['--plugin', 'postgres12', '--ep', pg.hostname, '-p', pg.port || '5432', '-u', decodeURIComponent(pg.username) || 'postgres', '--pw', decodeURIComponent(pg.password), '--db', database];
  for (const command of [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '--schema-name', schemaName]]) {
    try {
      await execFileAsync(tool, [...base, ...command]);
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`temporal-sql-tool ${command[0]} (${database}) failed: ${e.stderr || e.stdout || e.message}`);
    }
  }
}

/** The namespace and the search attributes (both kept when they exist), then a probe start that uses them all. */
async function register(options: TemporalConnectionConfig, namespace: string) {
  const connection = await retry(() => Connection.connect({ ...options, connectTimeout: 5_000 }));
  try {
    await retry(async () => {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
      } catch (err) {
        if (!/already exists/i.test((err as Error).message)) throw err;
      }
    });
    await retry(() =>
      connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]!])),
      }).catch((err: unknown) => {
        if (!/already exists/i.test((err as Error).message)) throw err;
      }),
    );
    const client = new Client({ connection, namespace });
    const probe = await retry(() =>
      client.workflow.start('searchAttributeProbe', {
        taskQueue: `probe-${randomUUID()}`,
        workflowId: `search-attribute-probe-${randomUUID()}`,
        typedSearchAttributes: SEARCH_ATTRIBUTES.map((key) => ({ key, value: 'probe' })),
      }),
    );
    await probe.terminate('start-up probe');
  } finally {
    await connection.close();
  }
}

/** Retries for up to a minute: the services join their ring and the caches refresh within seconds of start-up. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
