import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../test/servers/postgres';
import { waitForPort } from '../test/servers/ports';
import { startTemporalCluster, type TemporalCluster } from '../test/servers/temporal-cluster';
import { forgetPid, recordPid } from './stack-leftovers';

const uiScript = fileURLToPath(new URL('./ensure-temporal-ui.sh', import.meta.url));
const uiConfigRoot = fileURLToPath(new URL('../composition/temporal-server', import.meta.url));

/**
 * The stack's Temporal in `--temporal-server` mode: the real Temporal server on a PostgreSQL cluster
 * of its own (Debian's, kept in `<dataDir>/postgres` across restarts: the embedded PGlite the stack
 * uses for the service serves one connection at a time), and the Web UI server beside it. Each
 * returned stop is one step of the stack's shutdown, in order. All three run outside the stack's
 * process and are recorded in `.data/pids` while they run, as the stack's other servers.
 */
export async function startStackTemporal(opts: { dataDir: string; port: number; uiPort: number; postgresPort: number }) {
  mkdirSync(opts.dataDir, { recursive: true });
  const postgres = await startPostgres({ dataDir: join(opts.dataDir, 'postgres'), port: opts.postgresPort });
  recordPid('temporal-postgres', await postgres.pid(), { signal: 'SIGINT' });
  let cluster: TemporalCluster;
  try {
    cluster = await startTemporalCluster({ postgresUrl: postgres.url, port: opts.port, logFile: join(opts.dataDir, 'server.log') });
  } catch (err) {
    await postgres.stop();
    forgetPid('temporal-postgres');
    throw err;
  }
  recordPid('temporal-server', cluster.pid);
  const ui = await startUi(cluster.address, opts.uiPort, join(opts.dataDir, 'ui.log')).catch((err: unknown) => ({ error: err as Error }));
  /** A stop that also forgets the server's record. */
  const forgetting = (name: string, stop: () => Promise<void>) => async () => {
    await stop();
    forgetPid(name);
  };
  return {
    cluster,
    postgresUrl: postgres.url,
    /** The UI's URL, or why there is none (it is built on first use; a failed build leaves the stack running without it). */
    ui: 'error' in ui ? `not available: ${ui.error.message.split('\n')[0]}` : ui.url,
    /** Named steps, as the stack's shutdown logs them. */
    stops: [
      ...('error' in ui ? [] : [['Temporal Web UI', forgetting('temporal-ui', ui.stop)]]),
      ['Temporal server', forgetting('temporal-server', cluster.stop)],
      ["Temporal's PostgreSQL", forgetting('temporal-postgres', postgres.stop)],
    ] as [string, () => Promise<void>][],
  };
}

/** github.com/temporalio/ui-server (scripts/ensure-temporal-ui.sh) with composition/temporal-server/ui/base.yaml. */
async function startUi(address: string, port: number, logFile: string) {
  const bin = execFileSync('bash', [uiScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const log = openSync(logFile, 'a');
  const child = spawn(bin, ['--root', uiConfigRoot, '--config', 'ui', '--env', 'stack', 'start'], { env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_UI_PORT: String(port) }, stdio: ['ignore', log, log] });
  closeSync(log);
  recordPid('temporal-ui', child.pid!);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await Promise.race([waitForPort(port, 60_000, 'the Temporal UI server'), exited.then(() => Promise.reject(new Error(`the Temporal UI server exited (see ${logFile})`)))]);
  } catch (err) {
    await stop();
    forgetPid('temporal-ui');
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}
