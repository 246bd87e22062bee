/**
 * Project onboarding against its baseline, in one run (issue #18). The service: `POST /api/v1/projects`
 * to api/server.ts, in a process of its own as deployed, which starts the onboarding saga
 * (workflows/projects.ts) on the real Temporal dev server and waits for it; one worker process runs it.
 * The baseline: the same external effects, made by a plain sequential client in this process without
 * Temporal, against the same emulator, PostgreSQL and Kafka, with the same concurrency:
 *
 * - PostgreSQL: the tenant exists and no live project has the name (one SELECT; the saga: two);
 * - Harbor (plain fetch, the calls the saga's activities make, in its order): `HEAD /projects?project_name`
 *   (404), `POST /projects` (metadata from the same default settings), `GET …/members`, `POST …/members`
 *   (the OIDC group), `GET …/webhook/policies`, `POST …/webhook/policies` (the same policy, a fresh secret
 *   sealed as the saga seals it), `GET …/summary`;
 * - PostgreSQL: the project row with Harbor's summary in one INSERT (the saga: an upsert, then an UPDATE
 *   of the summary after the event);
 * - Kafka: one `modelregistry.project.created` CloudEvent, one produce per onboarding.
 *
 * Left out, as a plain client has no need of them: the compensations (undo on failure), retries, the
 * durable history; the request's bearer token and validation. Neither side creates a robot (the request
 * asks for none) or touches Keycloak (onboarding gives Harbor an OIDC group name; Keycloak's groups are
 * the membership sync's). The lists of members and webhook policies stay: the saga reads them to
 * converge on a retry.
 *
 * Prints onboardings/s, p50 and p99 of both and the ratios, and writes them to bench/results/onboarding.json.
 *
 *   npx tsx bench/onboarding.ts [count=200] [concurrency=8]
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { toCloudEvent } from '../activities/kafka/cloudevents';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_POLICY_NAME } from '../activities/harbor/webhook-policies';
import { OIDC_GROUP_TYPE } from '../activities/harbor/client';
import { ROLE_IDS } from '../api/schemas/projects';
import { DEFAULT_SETTINGS } from '../api/services/projects';
import { toProjectRecord } from '../db/queries/projects';
import { projects } from '../db/schema';
import { randomSecret } from '../lib/secrets';
import { percentile, REGISTRY, startBench } from './harness';

const count = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 8);
const TENANT = 'bench';
/** The receiver address the worker gives Harbor in this benchmark (the harness's: webhooks go nowhere). */
const RECEIVER = 'http://127.0.0.1:9/unused';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

const bench = await startBench({ worker: true, apiProcess: true });
const api = bench.api!.base;
const post = (path: string, body: unknown) => fetch(`${api}${path}`, { method: 'POST', headers: bench.headers, body: JSON.stringify(body) });
if ((await post('/api/v1/tenants', { name: TENANT, companyName: 'Bench', url: 'https://bench.example' })).status !== 201) throw new Error('tenant not created');

/** One onboarding through the API: its 201, or its 202's operation followed until it completes (MUTATION_WAIT_MS, 5 s by default). */
async function onboard(name: string): Promise<{ ok: boolean; viaOperation: boolean }> {
  const res = await post('/api/v1/projects', { name, display_name: name, tenantId: TENANT, members: [{ group: `${name}-devs`, role: 'developer' }] });
  await res.body?.cancel();
  if (res.status === 201) return { ok: true, viaOperation: false };
  if (res.status !== 202) return { ok: false, viaOperation: false };
  for (;;) {
    await sleep(100);
    const op = (await (await fetch(`${api}${res.headers.get('location')!}`, { headers: bench.headers })).json()) as { status: string };
    if (op.status !== 'running') return { ok: op.status === 'completed', viaOperation: true };
  }
}

// The baseline's clients: plain fetch with the worker's credentials, a plain Kafka producer.
const harborApi = `${bench.harbor.url}/api/v2.0`;
const harborHeaders = {
  authorization: `Basic ${Buffer.from(`${bench.harbor.username}:${bench.harbor.password}`).toString('base64')}`,
  'content-type': 'application/json',
  'x-is-resource-name': 'true',
};
async function harbor(method: string, path: string, expect: number, body?: unknown) {
  const res = await fetch(`${harborApi}${path}`, { method, headers: harborHeaders, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status !== expect) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  if (method === 'HEAD' || method === 'POST') await res.body?.cancel();
  return res;
}
const idFrom = (res: Response) => Number(res.headers.get('location')!.split('/').pop());
// Not idempotent: this client's idempotent producer breaks on concurrent sends (activities/kafka/publisher.ts),
// and a plain client sends each event on its own instead of joining them as the service's publisher does.
const producer = new Producer({ clientId: 'bench-baseline', bootstrapBrokers: [bench.kafka.bootstrap], serializers: stringSerializers, acks: -1, autocreateTopics: true });
const { db, sql } = bench.database;

async function plainOnboard(name: string): Promise<void> {
  const [check] = await sql<{ tenant: boolean; taken: boolean }[]>`
    select exists (select 1 from modelregistry.tenants where name = ${TENANT}) as tenant,
           exists (select 1 from modelregistry.projects where harbor_address = ${REGISTRY} and name = ${name} and not is_archived) as taken`;
  if (!check!.tenant || check!.taken) throw new Error(`baseline ${name}: no tenant, or the name is taken`);
  await harbor('HEAD', `/projects?project_name=${name}`, 404);
  const settings = DEFAULT_SETTINGS;
  const harborId = idFrom(
    await harbor('POST', '/projects', 201, {
      project_name: name,
      public: false,
      storage_limit: -1,
      metadata: { public: 'false', auto_scan: String(settings.autoScan), enable_content_trust_cosign: String(settings.contentTrustCosign), prevent_vul: String(settings.preventVulnerable), severity: settings.severity },
    }),
  );
  await (await harbor('GET', `/projects/${name}/members?page=1&page_size=100`, 200)).json();
  await harbor('POST', `/projects/${name}/members`, 201, { role_id: ROLE_IDS.developer, member_group: { group_name: `${name}-devs`, group_type: OIDC_GROUP_TYPE } });
  await (await harbor('GET', `/projects/${name}/webhook/policies?page=1&page_size=100`, 200)).json();
  const secret = randomSecret();
  const policyId = idFrom(
    await harbor('POST', `/projects/${name}/webhook/policies`, 201, {
      name: WEBHOOK_POLICY_NAME,
      description: 'Model Registry catalogue updates',
      enabled: true,
      event_types: WEBHOOK_EVENT_TYPES,
      targets: [{ type: 'http', address: RECEIVER, auth_header: `Bearer ${secret}`, skip_cert_verify: false, payload_format: 'Default' }],
    }),
  );
  const summary = (await (await harbor('GET', `/projects/${name}/summary`, 200)).json()) as { repo_count?: number; quota?: { hard?: { storage?: number }; used?: { storage?: number } } };
  const [row] = await db
    .insert(projects)
    .values({
      name,
      harborAddress: REGISTRY,
      displayName: name,
      description: null,
      isPublic: false,
      tenantId: TENANT,
      harborId,
      storageLimit: null,
      settings: { ...settings },
      webhookPolicyId: policyId,
      webhookSecret: bench.secrets.seal(secret),
      harborRepositoryCount: summary.repo_count ?? 0,
      harborQuotaHardBytes: summary.quota?.hard?.storage ?? null,
      harborQuotaUsedBytes: summary.quota?.used?.storage ?? null,
      harborSummaryRefreshedAt: new Date().toISOString(),
    })
    .returning();
  const project = toProjectRecord(row!);
  const event = toCloudEvent({ id: randomUUID(), type: 'modelregistry.project.created', subject: `projects/${REGISTRY}/${name}`, time: new Date().toISOString(), data: { ...project } });
  await producer.send({
    messages: [{ topic: bench.kafka.topic, key: event.subject, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8', ce_id: event.id, ce_type: event.type } }],
  });
}

/** `count` onboardings by `run`, `concurrency` at a time: their rate and latencies. */
async function measure(prefix: string, run: (name: string) => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const name = `${prefix}-${next++}`;
        const t0 = performance.now();
        if (!(await run(name))) failures++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { per_second: round(count / seconds), p50_ms: Math.round(percentile(latencies, 50)), p99_ms: Math.round(percentile(latencies, 99)), failures };
}

// Warm-up of both: the first workflow runs pay for the bundle load and connections, the first plain ones for JIT and connections.
for (let i = 0; i < 5; i++) await onboard(`warmup-${i}`);
for (let i = 0; i < 5; i++) await plainOnboard(`warmup-plain-${i}`);

const loadBefore = loadavg()[0]!;
let viaOperation = 0;
const service = await measure('bench', async (name) => {
  const { ok, viaOperation: op } = await onboard(name);
  if (op) viaOperation++;
  return ok;
});
const baseline = await measure('plain', (name) => plainOnboard(name).then(() => true));
const loadAfter = loadavg()[0]!;
// Each onboarding the service answered as done left its row, with its Harbor project and webhook policy.
const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from modelregistry.projects where name like 'bench-%' and webhook_policy_id is not null and harbor_id is not null`;
if (rows!.n !== count - service.failures) throw new Error(`${rows!.n} catalogued projects for ${count - service.failures} completed onboardings`);
await producer.close();

bench.record('onboarding', {
  benchmark: `project onboarding: POST /api/v1/projects to api/server.ts (own process; the saga on the Temporal dev server, one worker process) against a plain sequential client making the same Harbor calls, rows and event; ${count} each, ${concurrency} at a time`,
  count,
  concurrency,
  ratio_per_second: round(service.per_second / baseline.per_second, 3),
  ratio_p50: round(service.p50_ms / Math.max(1, baseline.p50_ms), 1),
  ratio_p99: round(service.p99_ms / Math.max(1, baseline.p99_ms), 1),
  service: { ...service, via_operation: viaOperation },
  baseline,
  load_average: { before: loadBefore, after: loadAfter },
  targets: { issue_5_on_this_machine: { p50_ms: 1500, per_second: 5 } },
});
await bench.stop();
