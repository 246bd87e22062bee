/**
 * The load generator of bench/webhook-ingest.ts, in a process of its own so that it never shares
 * the event loop of the server it measures: autocannon POSTs valid, distinct Harbor deliveries
 * (Default format, PULL_ARTIFACT, a random digest each, spread over 50 repositories) for `seconds`
 * over `connections` keep-alive connections. The Authorization header comes from the environment
 * (INGEST_AUTHORIZATION, unset for the bare route), never from the command line. Prints one JSON
 * line: requests/s, p50/p99 ms, 2xx, non-2xx, errors, total.
 *
 *   npx tsx bench/ingest-load.ts <url> <seconds> <connections>
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

const [url, secondsArg, connectionsArg] = process.argv.slice(2) as [string, string, string];
const authorization = process.env.INGEST_AUTHORIZATION;

let n = 0;
const delivery = () => {
  const i = n++;
  return JSON.stringify({
    type: 'PULL_ARTIFACT',
    occur_at: 1_800_000_000 + i,
    operator: 'bench',
    event_data: {
      resources: [{ digest: `sha256:${randomBytes(32).toString('hex')}`, tag: `1.0.${i}` }],
      repository: { name: `model-${i % 50}`, namespace: 'ingest', repo_full_name: `ingest/model-${i % 50}`, repo_type: 'private' },
    },
  });
};

const result = await autocannon({
  url,
  connections: Number(connectionsArg),
  duration: Number(secondsArg),
  requests: [{ method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, setupRequest: (req) => ({ ...req, body: delivery() }) }],
});
console.log(JSON.stringify({ per_second: Math.round(result.requests.average), p50_ms: result.latency.p50, p99_ms: result.latency.p99, ok_2xx: result['2xx'], non_2xx: result.non2xx, errors: result.errors, total: result.requests.total }));
