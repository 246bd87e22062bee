import { Runtime } from '@temporalio/worker';
import type { Config } from '../lib/config';

/**
 * Serves the Temporal SDK's own metrics (pollers, task slots, latencies; `temporal_*`) in Prometheus
 * format on `http://<host>:<port>/metrics`. The runtime is process-wide and must be installed
 * before the first connection, so the composition root calls this first.
 */
export function installWorkerMetrics({ host, port }: Config['workerMetrics']): void {
  if (port === undefined) return;
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `${host}:${port}` } } } });
}
