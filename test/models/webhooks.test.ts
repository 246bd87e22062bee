import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app';
import { logger } from '../../composition/logger';
import { storeDelivery } from '../../db/inbox/deliveries';
import { parseHarborEvent } from '../../lib/harbor-events';
import { ensureSchedules, RECONCILIATION_SCHEDULE_ID, SWEEPER_SCHEDULE_ID } from '../../composition/schedules';
import { pushCosignSignature, pushModel } from '../harbor/oci-push';
import { jsonRequest, readJson } from '../support/http';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { eventually, expectNever } from '../support/eventually';
import { onboardProject, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

describe('Harbor webhooks into the inbox and the repository workflow', () => {
  let stack: TestStack, tenant: string;
  beforeAll(async () => { ({ stack, tenant } = await startStackWithTenant({ receiveWebhooks: true })); });
  afterAll(() => stack.close());

  const onboard = async () => (await onboardProject(stack, tenant, { name: uniqueName('models') })).project;

  /** The catalogue's live view of a project: `model:tag` → digest. */
  const catalogue = async (project: string) => {
    const rows = await stack.database.sql<{ model: string; tag: string; digest: string }[]>`
      select r.name as model, t.name as tag, i.digest from modelregistry.tags t
      join modelregistry.images i on i.id = t.image_id and not i.is_archived
      join modelregistry.repositories r on r.id = i.repository_id
      join modelregistry.projects p on p.id = r.project_id
      where p.name = ${project} and not t.is_archived order by 1, 2`;
    return Object.fromEntries(rows.map((r) => [`${r.model}:${r.tag}`, r.digest]));
  };
  const harborView = async (project: string) => {
    const view: Record<string, string> = {};
    for (const repo of (await stack.harbor.client.repositories.list(project)).items) {
      const short = repo.name!.slice(project.length + 1);
      for (const a of (await stack.harbor.client.artifacts.list(project, short)).items) for (const t of a.tags ?? []) view[`${short}:${t.name}`] = a.digest!;
    }
    return view;
  };

  it('a push reaches the catalogue with its metadata; a scan and a signature are recorded; a delete archives the image, its tags and the model', async () => {
    const project = await onboard();
    const model = await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    await eventually('the pushed model', async () => (await catalogue(project))['llama:1.0.0'] === model.digest);
    const [inbox] = await stack.database.sql`select status, event_type, dispatched_at from modelregistry.webhook_events where payload->'event_data'->'repository'->>'namespace' = ${project} order by received_at limit 1`;
    expect(inbox).toMatchObject({ event_type: 'PUSH_ARTIFACT' });
    expect(inbox!.dispatched_at).not.toBeNull();

    // What the manifest and the ModelPack config say, in the model and its metadata tree.
    const readModel = async () => (await stack.database.sql`select m.author, m.license, m.display_name, m.tags from modelregistry.models m join modelregistry.projects p on p.id = m.project_id where p.name = ${project}`)[0];
    await eventually('model metadata', async () => (await readModel())?.license === 'Apache-2.0');
    expect(await readModel()).toMatchObject({ author: 'ML Team <ml@acme.example>', display_name: 'llama' });
    const tree = await stack.database.sql<{ name: string; value: string | null; parent: string | null }[]>`
      select m.name, m.value, parent.name as parent from modelregistry.metadata m
      left join modelregistry.metadata parent on parent.id = m.parent_id
      join modelregistry.images i on i.id = m.image_id where i.digest = ${model.digest} order by m.name, m.value`;
    expect(tree).toEqual(expect.arrayContaining([
      { name: 'architecture', value: 'transformer', parent: 'runtime' },
      { name: 'paramSize', value: '8b', parent: 'runtime' },
      { name: 'layer', value: 'model.safetensors', parent: null },
      { name: 'layer', value: 'README.md', parent: null },
      { name: 'mediaType', value: 'application/vnd.cncf.model.weight.v1.raw', parent: 'layer' },
    ]));
    const [manifestRow] = await stack.database.sql`select mf.tag, mf.content from modelregistry.manifests mf join modelregistry.images i on i.id = mf.image_id where i.digest = ${model.digest}`;
    expect(manifestRow!.tag).toBe('1.0.0');
    expect(JSON.parse(manifestRow!.content as string).artifactType).toBe('application/vnd.cncf.model.manifest.v1+json');

    // A scan (SCANNING_COMPLETED webhook) becomes a validation result.
    await stack.harbor.client.artifacts.scan(project, 'llama', '1.0.0');
    const scanRow = async () =>
      (await stack.database.sql`select v.scan_status, v.scan_severity, v.scanner_name, v.status_id, v.tag from modelregistry.validation_results v join modelregistry.images i on i.id = v.image_id where i.digest = ${model.digest}`)[0];
    await eventually('the scan result', async () => (await scanRow()) !== undefined);
    const harborScan = Object.values((await stack.harbor.client.artifacts.get(project, 'llama', model.digest))!.scan_overview as Record<string, { severity: string }>)[0]!;
    expect(await scanRow()).toMatchObject({ scan_status: 'Success', scan_severity: harborScan.severity, scanner_name: 'Trivy v0.50.0', status_id: 2, tag: '1.0.0' });

    // A cosign signature (an accessory, no webhook of its own) is picked up by the model refresh.
    await pushCosignSignature(stack.harbor.emulator.url, `${project}/llama`, model.digest);
    expect((await stack.app.request(`/api/v1/models/${project}/llama`, { method: 'POST' })).status).toBe(200);
    const [signed] = await stack.database.sql`select i.is_verified, s.type_id, s.artifact_digest from modelregistry.images i join modelregistry.signatures s on s.image_id = i.id where i.digest = ${model.digest}`;
    expect(signed).toMatchObject({ is_verified: true, type_id: 1, artifact_digest: model.digest });

    // A pull is audited; the audit shows scans, signatures and the event history.
    const pulled = await fetch(`${stack.harbor.emulator.url}/v2/${project}/llama/manifests/1.0.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(pulled.status).toBe(200);
    const audit = async () => readJson(await stack.app.request(`/api/v1/models/${project}/llama/audit`));
    // (Harbor reports the service's own manifest reads as pulls too, by digest; this one is the user's, by tag.)
    const userPull = (e: { action: string; details: { tag: string | null } }) => e.action === 'model.pulled' && e.details.tag === '1.0.0';
    await eventually('the pull in the audit', async () => (await audit()).events.some(userPull));
    const trail = await audit();
    // The service's own reads (arrived before the user's pull, applied in order) are not usage.
    expect(trail.events.filter((e: { action: string }) => e.action === 'model.pulled').map((e: { actor: string | null }) => e.actor)).not.toContain(stack.harbor.emulator.username);
    expect(trail.scans).toEqual([expect.objectContaining({ digest: model.digest, tag: '1.0.0', status: 'Success', severity: harborScan.severity })]);
    expect(trail.signatures).toEqual([expect.objectContaining({ digest: model.digest, type: 'cosign' })]);
    expect(trail.events.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['model.push_artifact', 'model.scanning_completed', 'model.pulled']));
    expect(trail.events.find(userPull).details).toMatchObject({ digest: model.digest, tag: '1.0.0', occurAt: expect.any(Number) });
    // The trail is keyed by name: an event from before this project existed is a purged namesake's (another tenant's), not shown.
    await stack.database.sql`insert into modelregistry.audit_events (event_key, occurred_at, actor, action, resource, details)
      values (${`earlier-${project}`}, now() - interval '1 day', 'someone-else', 'model.approved', ${`models/${stack.registry}/${project}/llama`}, '{}')`;
    expect((await audit()).events.map((e: { actor: string | null }) => e.actor)).not.toContain('someone-else');

    await stack.harbor.client.artifacts.delete(project, 'llama', model.digest);
    await eventually('the archived image', async () => Object.keys(await catalogue(project)).length === 0);
    const [row] = await stack.database.sql`select m.is_archived from modelregistry.models m join modelregistry.projects p on p.id = m.project_id where p.name = ${project}`;
    expect(row!.is_archived).toBe(true);
  });

  it('duplicated and reordered deliveries end in the catalogue Harbor has', async () => {
    const project = await onboard();
    stack.harbor.emulator.faults.duplicateWebhooks(3).reorderWebhooks(4);
    const a = await pushModel(stack.harbor.emulator.url, `${project}/bert`, '1.0.0');
    await pushModel(stack.harbor.emulator.url, `${project}/bert`, '1.1.0');
    await pushModel(stack.harbor.emulator.url, `${project}/vit`, '0.1.0');
    await stack.harbor.client.artifacts.delete(project, 'bert', a.digest);
    await stack.harbor.emulator.webhooks.idle();
    const expected = await harborView(project);
    expect(Object.keys(expected).sort()).toEqual(['bert:1.1.0', 'vit:0.1.0']);
    const canonical = (view: Record<string, string>) => JSON.stringify(Object.entries(view).sort());
    await eventually('convergence', async () => canonical(await catalogue(project)) === canonical(expected));
    stack.harbor.emulator.faults.reset();
  });

  it('a push that moves a tag takes it from the version that had it, and announces that version as updated', async () => {
    const project = await onboard();
    const first = await pushModel(stack.harbor.emulator.url, `${project}/qwen`, '1.0.0');
    await eventually('the first version catalogued', async () => (await catalogue(project))['qwen:1.0.0'] === first.digest);
    const second = await pushModel(stack.harbor.emulator.url, `${project}/qwen`, '1.0.0');
    expect(second.digest).not.toBe(first.digest);
    const holders = async () => (await stack.database.sql<{ digest: string }[]>`
      select i.digest from modelregistry.tags t join modelregistry.images i on i.id = t.image_id and not i.is_archived
      join modelregistry.repositories r on r.id = i.repository_id join modelregistry.projects p on p.id = r.project_id
      where p.name = ${project} and r.name = 'qwen' and t.name = '1.0.0' and not t.is_archived`).map((r) => r.digest);
    await eventually('the tag on the second version only', async () => JSON.stringify(await holders()) === JSON.stringify([second.digest]));
    const untagged = (r: ConsumedRecord) => r.key === `models/${stack.registry}/${project}/qwen` && JSON.parse(r.value).data.digest === first.digest && JSON.parse(r.value).data.change === 'updated';
    const records = await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the first version announced untagged', until: (rs) => rs.some(untagged) });
    expect(JSON.parse(records.find(untagged)!.value)).toMatchObject({ type: 'modelregistry.model.image_synced', data: { tags: [], via: 'webhook' } });
  });

  it('a delete of an artifact the catalogue never had changes nothing and leaves no empty model', async () => {
    const project = await onboard();
    const [secretRow] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    const authorization = `Bearer ${stack.deps.secrets.open(secretRow!.webhook_secret as string)}`;
    const payload = { type: 'DELETE_ARTIFACT', occur_at: 1_800_000_000, operator: 'admin', event_data: { resources: [{ digest: `sha256:${'ab'.repeat(32)}`, tag: '' }], repository: { name: 'ghost', namespace: project, repo_full_name: `${project}/ghost` } } };
    const res = await stack.app.request('/api/v1/webhooks/harbor', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(payload) });
    expect(res.status).toBe(200);
    const { id } = await readJson(res);
    await eventually('the delete applied', async () => (await stack.database.sql`select status from modelregistry.webhook_events where id = ${id}`)[0]?.status === 'processed');
    const models = await stack.database.sql`select m.name from modelregistry.models m join modelregistry.projects p on p.id = m.project_id where p.name = ${project}`;
    expect(models).toHaveLength(0);
    const [audited] = await stack.database.sql`select details from modelregistry.audit_events where event_key = ${`webhook:${id}:sha256:${'ab'.repeat(32)}`}`;
    expect(audited!.details).toMatchObject({ change: 'unchanged' });
  });

  /** A real push whose webhook is lost, and its delivery as the receiver had committed it before dying. */
  async function strandedPush(project: string, repository: string, tag: string) {
    stack.harbor.emulator.faults.dropWebhooks(1);
    const model = await pushModel(stack.harbor.emulator.url, `${project}/${repository}`, tag);
    const payload = { type: 'PUSH_ARTIFACT', occur_at: 1_800_000_000, operator: 'admin', event_data: { resources: [{ digest: model.digest, tag }], repository: { name: repository, namespace: project, repo_full_name: `${project}/${repository}` } } };
    const parsed = parseHarborEvent(payload);
    if (!parsed.ok) throw new Error('bad payload');
    const stored = await storeDelivery(stack.database.db, { source: `harbor:${stack.registry}`, dedupeKey: parsed.event.dedupeKey, eventType: 'PUSH_ARTIFACT', payload, rawBody: null, status: 'received' });
    return { model, stored };
  }
  const sweep = (): Promise<{ dispatched: number; orphaned: number }> =>
    stack.client.workflow.execute('webhookSweepWorkflow', { taskQueue: stack.taskQueue, workflowId: uniqueName('sweep'), args: [0, `harbor:${stack.registry}`] });

  /**
   * A sweep hands over this delivery (now): at least one, since a sweep of age 0 also hands over
   * whatever delivery of this stack is in flight right then (CI met a count of 2).
   */
  const expectSwept = async (id: string) => {
    const swept = await sweep();
    expect(swept.orphaned).toBe(0);
    expect(swept.dispatched).toBeGreaterThanOrEqual(1);
    const [row] = await stack.database.sql`select dispatched_at > now() - interval '1 minute' as recent from modelregistry.webhook_events where id = ${id}`;
    expect(row!.recent).toBe(true);
  };

  it('the sweeper dispatches a delivery stored but never handed to Temporal', async () => {
    const project = await onboard();
    const { model, stored } = await strandedPush(project, 'stranded', '2.0.0');
    await expectSwept(stored.id);
    await eventually('the swept delivery', async () => (await catalogue(project))['stranded:2.0.0'] === model.digest);
    const [row] = await stack.database.sql`select status, dispatched_at from modelregistry.webhook_events where id = ${stored.id}`;
    expect(row!.dispatched_at).not.toBeNull();
    expect(['dispatched', 'processed']).toContain(row!.status);
  });

  it('the sweeper hands over again a repository event dispatched long ago and never applied (its workflow failed)', async () => {
    const project = await onboard();
    const { model, stored } = await strandedPush(project, 'abandoned', '4.0.0');
    // Handed to a workflow 20 minutes ago that ended without applying it.
    await stack.database.sql`update modelregistry.webhook_events set status = 'dispatched', dispatched_at = now() - interval '20 minutes' where id = ${stored.id}`;
    await expectSwept(stored.id);
    await eventually('the re-dispatched delivery', async () => (await catalogue(project))['abandoned:4.0.0'] === model.digest);
    await eventually('the row processed', async () => (await stack.database.sql`select status from modelregistry.webhook_events where id = ${stored.id}`)[0]!.status === 'processed');
    // Applied now: the next sweep leaves it alone. (Asserted on the row, not the sweep's count: a
    // sweep of age 0 also hands over whatever delivery of this stack is in flight right then.)
    const dispatchedAt = async () => (await stack.database.sql`select status, dispatched_at from modelregistry.webhook_events where id = ${stored.id}`)[0];
    const before = await dispatchedAt();
    await sweep();
    expect(await dispatchedAt()).toEqual(before);
  });

  it('the sweeper and the reconciliation run as Temporal Schedules', async () => {
    await ensureSchedules(stack.client, stack.taskQueue);
    await ensureSchedules(stack.client, stack.taskQueue);
    const schedule = await stack.client.schedule.getHandle(SWEEPER_SCHEDULE_ID).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'webhookSweepWorkflow' });
    expect(schedule.spec.intervals?.[0]?.every).toBe(60_000);
    const reconciliation = await stack.client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe();
    expect(reconciliation.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcileAllWorkflow' });
  });

  it('refuses a delivery without the project\'s secret (401), keeps its malformed ones (400), and stores a repeat once', async () => {
    const project = await onboard();
    const payload = { type: 'PUSH_ARTIFACT', occur_at: 1, operator: 'admin', event_data: { resources: [{ digest: 'sha256:00', tag: 'x' }], repository: { name: 'm', namespace: project, repo_full_name: `${project}/m` } } };
    const post = (body: string, auth?: string) => stack.app.raw.request('/api/v1/webhooks/harbor', { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body });
    const denied = await post(JSON.stringify(payload), 'Bearer wrong');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(JSON.stringify(payload))).status).toBe(401);

    const [secretRow] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    const auth = `Bearer ${stack.deps.secrets.open(secretRow!.webhook_secret as string)}`;
    const malformed = await post('{"type": "PUSH_ARTIFACT", ', auth);
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toBe('application/problem+json');
    const [kept] = await stack.database.sql`select status, raw_body from modelregistry.webhook_events where source = ${`harbor:${stack.registry}`} and raw_body = ${'{"type": "PUSH_ARTIFACT", '}`;
    expect(kept).toMatchObject({ status: 'invalid' });
    const invalid = await post(JSON.stringify({ type: 'PUSH_ARTIFACT' }), auth);
    expect(invalid.status).toBe(400);
    expect((await readJson(invalid)).errors.map((e: { field: string }) => e.field)).toContain('body.occur_at');

    const first = await readJson(await post(JSON.stringify(payload), auth));
    const repeat = await readJson(await post(JSON.stringify(payload), auth));
    expect(first).toMatchObject({ duplicate: false, status: 'queued' });
    expect(repeat).toMatchObject({ id: first.id, duplicate: true });
    const unknown = await readJson(await post(JSON.stringify({ ...payload, type: 'ARTIFACT_LABELED' }), auth));
    expect(unknown.status).toBe('ignored');
  });

  it('quota and replication events become audit records and telemetry, once however often Harbor repeats them', async () => {
    const project = await onboard();
    const [secretRow] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    const auth = `Bearer ${stack.deps.secrets.open(secretRow!.webhook_secret as string)}`;
    const post = (body: unknown) => stack.app.request('/api/v1/webhooks/harbor', jsonRequest(body, { authorization: auth }));
    const repository = { name: 'llama', namespace: project, repo_full_name: `${project}/llama` };
    const quota = { type: 'QUOTA_EXCEED', occur_at: 1_800_000_100, operator: 'admin', event_data: { repository, custom_attributes: { Details: 'adding 1.0 GiB of storage resource, which when updated to current usage of 10 GiB will exceed the configured upper limit of 10 GiB.' } } };
    const replication = {
      specversion: '1.0',
      id: 'a1b2',
      type: 'harbor.replication.status.changed',
      source: '/projects/1/webhook/policies/1',
      time: '2027-01-15T08:00:00Z',
      operator: 'admin',
      // As Harbor sends it: no repository; the project is dest_resource's namespace (Harbor fills them crosswise).
      data: {
        replication: {
          job_status: 'Success',
          trigger_type: 'MANUAL',
          src_resource: { registry_type: 'harbor', endpoint: 'https://harbor.example', namespace: 'mirror' },
          dest_resource: { registry_name: 'dr-site', registry_type: 'harbor', endpoint: 'https://dr.example', namespace: project },
          successful_artifact: [{ type: 'image', status: 'Success', name_tag: 'llama:1.0.0' }],
        },
      },
    };
    expect(await readJson(await post(quota))).toMatchObject({ status: 'queued' });
    expect(await readJson(await post(quota))).toMatchObject({ duplicate: true });
    expect(await readJson(await post(replication))).toMatchObject({ status: 'queued' });
    const audit = async () => stack.database.sql`select action, actor, details from modelregistry.audit_events where resource = ${`projects/${stack.registry}/${project}`} order by action`;
    await eventually('the audit records', async () => (await audit()).length === 2);
    const rows = await audit();
    expect(rows.map((r) => r.action)).toEqual(['quota_exceed', 'replication']);
    expect(JSON.stringify(rows[0]!.details)).toContain('exceed the configured upper limit');
    const harborEvents = (records: ConsumedRecord[]) =>
      records.map((e) => JSON.parse(e.value) as { type: string; subject: string; data: { harborType: string } }).filter((e) => e.subject === `projects/${stack.registry}/${project}` && e.data.harborType);
    const mine = harborEvents(await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the two Harbor events',
      until: (records) => harborEvents(records).length >= 2,
      never: { what: 'a third Harbor event', check: (records) => harborEvents(records).length > 2 && harborEvents(records), forMs: 1000 },
    }));
    expect(mine.map((e) => e.type).sort()).toEqual(['modelregistry.quota.exceeded', 'modelregistry.replication.changed']);
    const inbox = async () => stack.database.sql`select status from modelregistry.webhook_events where event_type in ('QUOTA_EXCEED', 'REPLICATION') and payload::text like ${`%"${project}"%`}`;
    await eventually('the inbox rows processed', async () => (await inbox()).every((r) => r.status === 'processed'));
    expect(await inbox()).toHaveLength(2);
  });

  it('answers once the delivery is committed, even with Temporal unreachable; the sweeper hands it over later', async () => {
    const project = await onboard();
    const model = await pushModel(stack.harbor.emulator.url, `${project}/offline`, '3.0.0');
    const lazy = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const cut = createApp({ db: stack.database.db, client: lazy, taskQueue: stack.taskQueue, mutationWaitMs: 0, bodyLimitBytes: 1 << 20, logger: logger.child({}, { level: 'silent' }), registries: [stack.registry], secrets: stack.deps.secrets, auth: stack.auth.deps });
    const [secretRow] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    const payload = { type: 'PUSH_ARTIFACT', occur_at: 1_800_000_200, operator: 'admin', event_data: { resources: [{ digest: model.digest, tag: '3.0.0' }], repository: { name: 'offline', namespace: project, repo_full_name: `${project}/offline` } } };
    const res = await cut.request('/api/v1/webhooks/harbor', jsonRequest(payload, { authorization: `Bearer ${stack.deps.secrets.open(secretRow!.webhook_secret as string)}` }));
    expect(res.status).toBe(200);
    const { id } = await readJson(res);
    await expectNever('the delivery handed over with Temporal unreachable', async () => {
      const [row] = await stack.database.sql`select dispatched_at from modelregistry.webhook_events where id = ${id}`;
      expect(row!.dispatched_at).toBeNull();
    }, { forMs: 1500 });
    expect((await sweep()).dispatched).toBeGreaterThanOrEqual(1);
    await eventually('the swept delivery', async () => (await catalogue(project))['offline:3.0.0'] === model.digest);
  });
});
