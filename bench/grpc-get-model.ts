/**
 * GetModel over gRPC against GET /api/v1/models/{project}/{model} over REST in the same run: the
 * same servers, token and model (one pushed model with 10 versions), each loaded in turn by
 * bench/grpc-load.ts in its own process; requests per second and p99 of each, and gRPC/REST.
 *
 *   npx tsx bench/grpc-get-model.ts [seconds=10] [concurrency=16]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pushModel } from '../test/harbor/oci-push';
import { startBench } from './harness';

const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 16);
const run = promisify(execFile);

const bench = await startBench({ worker: true, grpc: true });
await bench.project('grpc-bench');
for (let i = 0; i < 10; i++) await pushModel(bench.harbor.url, 'grpc-bench/llama', `1.${i}.0`);
const refreshed = await bench.call('POST', '/api/v1/models/grpc-bench/llama');
if (refreshed.status !== 200) throw new Error(`refresh: ${refreshed.status} ${await refreshed.text()}`);

type Load = { requests: number; per_second: number; p50_ms: number; p99_ms: number; failures: number };
async function load(mode: 'grpc' | 'rest', secondsOfLoad = seconds): Promise<Load> {
  const target = mode === 'grpc' ? bench.grpcAddress! : bench.base;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/grpc-load.ts', mode, target, bench.token, 'grpc-bench', 'llama', String(secondsOfLoad), String(concurrency)]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Load;
}

// Warm both paths (JIT, connection pools, the JWKS cache), then measure each in turn.
await load('rest', 2);
await load('grpc', 2);
const rest = await load('rest');
const grpc = await load('grpc');
bench.record('grpc-get-model', {
  benchmark: `GetModel (gRPC, h2c) vs GET /api/v1/models/{project}/{model} (REST, HTTP/1.1 keep-alive), ${concurrency} concurrent calls from one load process, ${seconds} s each`,
  rest,
  grpc,
  ratio_grpc_to_rest: { per_second: Math.round((grpc.per_second / rest.per_second) * 100) / 100, p99: Math.round((grpc.p99_ms / rest.p99_ms) * 100) / 100 },
});
await bench.stop();
