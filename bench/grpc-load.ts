/**
 * The load generator of bench/grpc-get-model.ts, in a process of its own: `concurrency` loops
 * calling GetModel over gRPC or GET /api/v1/models/{project}/{model} over HTTP/1.1 keep-alive for
 * `seconds`; prints one JSON line (requests, per second, p50/p99 ms, failures).
 *
 *   npx tsx bench/grpc-load.ts <grpc|rest> <address|base url> <token> <project> <model> <seconds> <concurrency>
 */
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { ModelService } from '../gen/modelregistry/v1/models_pb';
import { percentile } from './harness';

const [mode, target, token, project, model, secondsArg, concurrencyArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const authorization = `Bearer ${token}`;

const call: () => Promise<unknown> =
  mode === 'grpc'
    ? (() => {
        const client = createClient(ModelService, createGrpcTransport({ baseUrl: `http://${target}` }));
        return () => client.getModel({ project, model }, { headers: { authorization } });
      })()
    : async () => {
        const res = await fetch(`${target}/api/v1/models/${project}/${model}`, { headers: { authorization } });
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        return res.json();
      };

const latencies: number[] = [];
let failures = 0;
const until = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await call();
        latencies.push(performance.now() - started);
      } catch {
        failures++;
      }
    }
  }),
);
latencies.sort((a, b) => a - b);
const round = (n: number) => Math.round(n * 100) / 100;
console.log(JSON.stringify({ requests: latencies.length, per_second: Math.round(latencies.length / seconds), p50_ms: round(percentile(latencies, 50)), p99_ms: round(percentile(latencies, 99)), failures }));
