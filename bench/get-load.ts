/**
 * A GET load generator in a process of its own, so that it never shares the event loop of the
 * server it measures: autocannon GETs `url` for `seconds` over `connections` keep-alive
 * connections. The Authorization header comes from the environment (BENCH_AUTHORIZATION, unset for
 * a bare route), never from the command line. Prints one JSON line: requests/s, p50/p99 ms,
 * non-2xx, errors.
 *
 *   npx tsx bench/get-load.ts <url> <seconds> <connections>
 */
import autocannon from 'autocannon';

const [url, secondsArg, connectionsArg] = process.argv.slice(2) as [string, string, string];
const authorization = process.env.BENCH_AUTHORIZATION;
const result = await autocannon({ url, connections: Number(connectionsArg), duration: Number(secondsArg), headers: authorization ? { authorization } : {} });
console.log(JSON.stringify({ per_second: Math.round(result.requests.average), p50_ms: result.latency.p50, p99_ms: result.latency.p99, non_2xx: result.non2xx, errors: result.errors }));
