import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HarborGcHistory } from '../../activities/harbor';
import { eventually } from '../support/eventually';
import { failureOf, startHarbor, type HarborTestbed } from '../support/harbor';
import { uniqueName } from '../support/stack';
import { pullManifest, pushBlob, pushCosignSignature, pushModel, putManifest } from './oci-push';
import { startReceiver } from './receiver';

const NEVER = '0001-01-01T00:00:00.000Z';
const HOUR = 3600_000;
const DAY = 24 * HOUR;

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A project whose webhooks go to `receiver`. */
async function projectWithHooks(h: HarborTestbed, receiver: Receiver, prefix: string): Promise<string> {
  const project = uniqueName(prefix);
  await h.client.projects.create({ project_name: project, metadata: { public: 'false' } });
  await h.client.webhooks.create(project, {
    name: 'cleanup',
    enabled: true,
    event_types: ['DELETE_ARTIFACT', 'TAG_RETENTION'],
    targets: [{ type: 'http', address: receiver.url, skip_cert_verify: false, payload_format: 'Default' }],
  });
  return project;
}

/** Status of a raw registry GET, straight to the registry behind the emulator. */
const registryStatus = async (h: HarborTestbed, path: string) => {
  const res = await fetch(`${h.registryUrl}/v2/${path}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  await res.body?.cancel();
  return res.status;
};

describe('the emulator reports and deletes what cleanup reads', () => {
  let h: HarborTestbed;
  let receiver: Receiver;
  beforeAll(async () => {
    h = await startHarbor();
    receiver = await startReceiver();
  });
  afterEach(() => {
    expect(h.emulator.violations).toEqual([]);
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await h.stop();
    await receiver.stop();
  });

  it('sets pull_time on a manifest GET through /v2/ (artifact and tag), never on a HEAD', async () => {
    const project = uniqueName('pull');
    await h.client.projects.create({ project_name: project });
    const model = await pushModel(h.emulator.url, `${project}/llama`, '1.0.0');
    const read = async () => (await h.client.artifacts.get(project, 'llama', model.digest))!;
    expect((await read()).pull_time).toBe(NEVER);

    const head = await fetch(`${h.emulator.url}/v2/${project}/llama/manifests/1.0.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(head.status).toBe(200);
    expect((await read()).pull_time).toBe(NEVER);

    const before = Date.now();
    expect((await pullManifest(h.emulator.url, `${project}/llama`, '1.0.0')).status).toBe(200);
    const pulled = await read();
    expect(Date.parse(pulled.pull_time!)).toBeGreaterThanOrEqual(before - 1000);
    expect(pulled.tags?.[0]?.pull_time).toBe(pulled.pull_time);

    // By digest: the artifact's pull time moves, the tag's stays.
    h.emulator.clock.advance(DAY);
    expect((await pullManifest(h.emulator.url, `${project}/llama`, model.digest)).status).toBe(200);
    const again = await read();
    expect(Date.parse(again.pull_time!) - Date.parse(pulled.pull_time!)).toBeGreaterThanOrEqual(DAY);
    expect(again.tags?.[0]?.pull_time).toBe(pulled.pull_time);
  });

  it('ages artifacts by the emulator clock and by setArtifactTimes; lists untagged ones as Harbor does', async () => {
    const project = uniqueName('age');
    await h.client.projects.create({ project_name: project });
    const old = await pushModel(h.emulator.url, `${project}/bert`, '1.0.0');
    h.emulator.clock.advance(30 * DAY);
    const fresh = await pushModel(h.emulator.url, `${project}/bert`, '2.0.0');
    const byDigest = async () => new Map((await h.client.artifacts.list(project, 'bert')).items.map((a) => [a.digest, a]));
    const listed = await byDigest();
    expect(Date.parse(listed.get(fresh.digest)!.push_time!) - Date.parse(listed.get(old.digest)!.push_time!)).toBeGreaterThanOrEqual(30 * DAY);
    expect(Date.parse(listed.get(fresh.digest)!.push_time!)).toBeGreaterThan(Date.now() + 29 * DAY);

    h.emulator.setArtifactTimes(`${project}/bert`, old.digest, { pushTime: '2026-01-01T00:00:00.000Z', pullTime: '2026-02-01T00:00:00.000Z', tags: { '1.0.0': { pushTime: '2026-01-02T00:00:00.000Z' } } });
    const set = (await byDigest()).get(old.digest)!;
    expect([set.push_time, set.pull_time, set.tags?.[0]?.push_time]).toEqual(['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);

    // Untagged by a tag delete: listed with no tags, and alone under Harbor's `q=tags=nil`.
    await h.client.tags.delete(project, 'bert', old.digest, '1.0.0');
    const untagged = (await h.client.artifacts.list(project, 'bert', { q: 'tags=nil' })).items;
    expect(untagged.map((a) => [a.digest, a.tags ?? []])).toEqual([[old.digest, []]]);
    expect((await h.client.artifacts.list(project, 'bert', { q: 'tags=*' })).items.map((a) => a.digest)).toEqual([fresh.digest]);
  });

  it('untags an artifact that keeps other tags, deletes one with its signature, 404 once gone, DELETE_ARTIFACT sent', async () => {
    const project = await projectWithHooks(h, receiver, 'del');
    const model = await pushModel(h.emulator.url, `${project}/vit`, '1.0.0');
    await h.client.artifacts.addTag(project, 'vit', model.digest, 'stable');
    const signature = await pushCosignSignature(h.emulator.url, `${project}/vit`, model.digest);

    await h.client.tags.delete(project, 'vit', model.digest, 'stable');
    expect((await h.client.artifacts.get(project, 'vit', model.digest))?.tags?.map((t) => t.name)).toEqual(['1.0.0']);
    expect((await failureOf(h.client.tags.delete(project, 'vit', model.digest, 'stable'))).type).toBe('HarborNotFound');
    expect(await registryStatus(h, `${project}/vit/manifests/${model.digest}`)).toBe(200);

    await h.client.artifacts.delete(project, 'vit', model.digest);
    expect((await failureOf(h.client.artifacts.get(project, 'vit', model.digest))).type).toBe('HarborNotFound');
    expect((await failureOf(h.client.artifacts.delete(project, 'vit', model.digest))).type).toBe('HarborNotFound');
    expect(await registryStatus(h, `${project}/vit/manifests/${model.digest}`)).toBe(404);
    expect(await registryStatus(h, `${project}/vit/manifests/${signature.digest}`)).toBe(404);
    // Blobs stay until GC, as in Harbor.
    expect(await registryStatus(h, `${project}/vit/blobs/${model.layers[0]!.digest}`)).toBe(200);

    const [delivery] = await receiver.waitFor(1);
    expect(delivery!.body).toMatchObject({
      type: 'DELETE_ARTIFACT',
      operator: 'admin',
      event_data: { resources: [{ digest: model.digest, tag: '1.0.0', resource_url: `${h.emulator.registryAddress}/${project}/vit:1.0.0` }], repository: { name: 'vit', namespace: project } },
    });
  });

  it('marks and protects tags matched by immutability rules: no tag delete, no artifact delete, no overwrite (412)', async () => {
    const project = uniqueName('immu');
    await h.client.projects.create({ project_name: project });
    const release = await pushModel(h.emulator.url, `${project}/gpt`, '1.0.0');
    await h.client.artifacts.addTag(project, 'gpt', release.digest, 'latest');
    const rule = {
      disabled: false,
      action: 'immutable',
      template: 'immutable_template',
      tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '[0-9]*' }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
    };
    await h.client.api.POST('/projects/{project_name_or_id}/immutabletagrules', { params: { path: { project_name_or_id: project }, header: { 'X-Is-Resource-Name': true } }, body: rule });
    const [listed] = await h.client.immutableRules.list(project);
    expect(listed).toMatchObject({ ...rule, id: expect.any(Number) });

    const tags = (await h.client.artifacts.get(project, 'gpt', release.digest))?.tags ?? [];
    expect(Object.fromEntries(tags.map((t) => [t.name, t.immutable]))).toEqual({ '1.0.0': true, latest: false });

    const untag = await failureOf(h.client.tags.delete(project, 'gpt', release.digest, '1.0.0'));
    expect(untag.message).toMatch(/: 412 the tag 1\.0\.0 configured as immutable, cannot be deleted/);
    expect((await failureOf(h.client.artifacts.delete(project, 'gpt', release.digest))).message).toContain(': 412 ');
    await expect(pushModel(h.emulator.url, `${project}/gpt`, '1.0.0')).rejects.toThrow(/412 .*PRECONDITION.*configured as immutable/);
    const v2Delete = await fetch(`${h.emulator.url}/v2/${project}/gpt/manifests/${release.digest}`, { method: 'DELETE' });
    expect(v2Delete.status).toBe(412);
    expect((await h.client.artifacts.get(project, 'gpt', '1.0.0'))?.digest).toBe(release.digest);
    await h.client.tags.delete(project, 'gpt', release.digest, 'latest');

    await h.client.api.PUT('/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}', {
      params: { path: { project_name_or_id: project, immutable_rule_id: listed!.id! }, header: { 'X-Is-Resource-Name': true } },
      body: { ...rule, disabled: true },
    });
    expect((await h.client.artifacts.get(project, 'gpt', release.digest))?.tags?.[0]?.immutable).toBe(false);
    await h.client.artifacts.delete(project, 'gpt', release.digest);
    await h.client.api.DELETE('/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}', {
      params: { path: { project_name_or_id: project, immutable_rule_id: listed!.id! }, header: { 'X-Is-Resource-Name': true } },
    });
    expect(await h.client.immutableRules.list(project)).toEqual([]);
  });

  it('runs tag retention: a dry run reports and deletes nothing, a real run deletes exactly what it reported and sends TAG_RETENTION', async () => {
    const project = await projectWithHooks(h, receiver, 'ret');
    const pushed = [];
    for (const tag of ['1.0.0', '1.1.0', '1.2.0', '2.0.0']) {
      pushed.push(await pushModel(h.emulator.url, `${project}/llm`, tag));
      h.emulator.clock.advance(HOUR);
    }
    // An untagged artifact: Harbor's `untagged: false` leaves it to no rule, so it goes.
    const untagged = await pushModel(h.emulator.url, `${project}/llm`, 'scratch');
    await h.client.tags.delete(project, 'llm', untagged.digest, 'scratch');
    // 1.0.0 is not retained but immutable: Harbor keeps it and marks it so.
    await h.client.api.POST('/projects/{project_name_or_id}/immutabletagrules', {
      params: { path: { project_name_or_id: project }, header: { 'X-Is-Resource-Name': true } },
      body: { tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '1.0.0' }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: 'llm' }] } },
    });
    const projectId = (await h.client.projects.get(project))!.project_id!;
    const policyId = await h.client.retention.create({
      algorithm: 'or',
      rules: [{ disabled: false, action: 'retain', template: 'latestPushedK', params: { latestPushedK: 2 } as never, tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**', extras: '{"untagged":false}' }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] } }],
      trigger: { kind: 'Schedule', settings: {} },
      scope: { level: 'project', ref: projectId },
    });
    const finished = async (id: number) => eventually('retention execution ended', async () => (await h.client.retention.listExecutions(policyId)).find((e) => e.id === id && e.status !== 'Running'));
    const tasksOf = async (id: number) => (await h.client.api.GET('/retentions/{id}/executions/{eid}/tasks', { params: { path: { id: policyId, eid: id } } })).data ?? [];
    const logOf = async (eid: number, tid: number) => (await h.client.api.GET('/retentions/{id}/executions/{eid}/tasks/{tid}', { params: { path: { id: policyId, eid, tid } }, parseAs: 'text' })).data as string;
    const expectedGone = [pushed[1]!.digest, untagged.digest].sort();
    const expectedKept = [pushed[0]!.digest, pushed[2]!.digest, pushed[3]!.digest].sort();

    const dry = await h.client.retention.createExecution(policyId, true);
    expect(await finished(dry)).toMatchObject({ dry_run: true, status: 'Success', trigger: 'MANUAL' });
    const [dryTask] = await tasksOf(dry);
    expect(dryTask).toMatchObject({ repository: 'llm', status: 'Success', total: 5, retained: 3 });
    const dryLog = await logOf(dry, dryTask!.id!);
    const marked = (mark: string) => dryLog.split('\n').filter((l) => l.trim().endsWith(`| ${mark} |`)).map((l) => l.split('|')[1]!.trim()).sort();
    expect(marked('DEL')).toEqual(expectedGone);
    expect(marked('RETAIN')).toEqual([pushed[2]!.digest, pushed[3]!.digest].sort());
    expect(marked('IMMUTABLE')).toEqual([pushed[0]!.digest]);
    expect((await h.client.artifacts.list(project, 'llm')).total).toBe(5);

    const real = await h.client.retention.createExecution(policyId, false);
    expect(await finished(real)).toMatchObject({ dry_run: false, status: 'Success' });
    const [realTask] = await tasksOf(real);
    expect(realTask).toMatchObject({ total: 5, retained: 3 });
    expect((await h.client.artifacts.list(project, 'llm')).items.map((a) => a.digest).sort()).toEqual(expectedKept);
    for (const digest of expectedGone) expect(await registryStatus(h, `${project}/llm/manifests/${digest}`)).toBe(404);

    const deliveries = await receiver.waitFor(3);
    const retention = deliveries.map((d) => d.body as { type: string; event_data: { retention?: Record<string, unknown> } }).find((b) => b.type === 'TAG_RETENTION');
    expect(retention?.event_data.retention).toMatchObject({ total: 5, retained: 3, project_name: project, retention_policy_id: policyId, result: 'SUCCESS' });
    expect((retention?.event_data.retention?.deleted_artifact as { name_tag: string }[]).map((a) => a.name_tag).sort()).toEqual(['llm:1.1.0', `llm@${untagged.digest}`].sort());
    expect(deliveries.filter((d) => (d.body as { type: string }).type === 'DELETE_ARTIFACT')).toHaveLength(2);
  });
});

describe('garbage collection over the real registry', () => {
  let h: HarborTestbed;
  beforeAll(async () => {
    h = await startHarbor();
  });
  afterEach(() => expect(h.emulator.violations).toEqual([]));
  afterAll(async () => {
    await h.stop();
  });

  /** A model whose first layer is `shared` (another model's too) and whose second is its own. */
  async function pushSharing(repository: string, tag: string, shared: Buffer) {
    const config = await pushBlob(h.emulator.url, repository, Buffer.from(JSON.stringify({ tag, repository })), 'application/vnd.cncf.model.config.v1+json');
    const common = await pushBlob(h.emulator.url, repository, shared, 'application/vnd.cncf.model.weight.v1.raw');
    const own = await pushBlob(h.emulator.url, repository, Buffer.from(`own weights of ${tag} `.repeat(500)), 'application/vnd.cncf.model.weight.v1.raw');
    const manifest = await putManifest(h.emulator.url, repository, tag, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.cncf.model.manifest.v1+json', config, layers: [common, own] });
    return { ...manifest, config, common, own };
  }

  async function runGc(parameters: { dry_run: boolean; delete_untagged?: boolean }): Promise<{ history: HarborGcHistory; params: Record<string, unknown>; log: string }> {
    const id = (await h.client.gc.schedule('Manual', { workers: 1, ...parameters }))!;
    const history = await eventually('gc ended', async () => {
      const gc = await h.client.gc.get(id);
      return gc?.job_status !== 'Running' && gc;
    });
    return { history, params: JSON.parse(history.job_parameters!) as Record<string, unknown>, log: await h.client.gc.log(id) };
  }

  it('reports freeable bytes in a dry run and deletes exactly those blobs in a real run; shared and young blobs stay', async () => {
    const project = uniqueName('gc');
    await h.client.projects.create({ project_name: project });
    const shared = Buffer.from('shared base weights '.repeat(800));
    const kept = await pushSharing(`${project}/base`, '1.0.0', shared);
    const gone = await pushSharing(`${project}/base`, '2.0.0', shared);
    await h.client.artifacts.delete(project, 'base', gone.digest);
    const freeable = gone.config.size + gone.own.size + gone.size;

    // Pushed less than Harbor's time window (2 h) ago: nothing is eligible yet.
    const young = await runGc({ dry_run: true });
    expect(young.params).toMatchObject({ freed_space: 0, purged_blobs: 0, purged_manifests: 0, dry_run: true, time_window: 2 });

    h.emulator.clock.advance(3 * HOUR);
    const dry = await runGc({ dry_run: true });
    expect(dry.history).toMatchObject({ job_name: 'GARBAGE_COLLECTION', job_kind: 'MANUAL', job_status: 'Success', schedule: { type: 'Manual' } });
    expect(dry.params).toMatchObject({ freed_space: freeable, purged_blobs: 2, purged_manifests: 1 });
    expect(dry.log).toContain('2 blobs and 1 manifests eligible for deletion');
    expect(await registryStatus(h, `${project}/base/blobs/${gone.own.digest}`)).toBe(200);

    const real = await runGc({ dry_run: false });
    expect(real.params).toMatchObject({ freed_space: freeable, purged_blobs: 2, purged_manifests: 1 });
    expect(real.log).toMatch(/The GC job actual frees up \d+\.\d\d KiB space\./);
    expect(await registryStatus(h, `${project}/base/blobs/${gone.own.digest}`)).toBe(404);
    expect(await registryStatus(h, `${project}/base/blobs/${gone.config.digest}`)).toBe(404);
    expect(await registryStatus(h, `${project}/base/blobs/${gone.common.digest}`)).toBe(200);
    expect((await h.client.artifacts.get(project, 'base', kept.digest))?.digest).toBe(kept.digest);
    expect((await pullManifest(h.emulator.url, `${project}/base`, '1.0.0')).status).toBe(200);

    // Nothing left to collect.
    expect((await runGc({ dry_run: true })).params).toMatchObject({ freed_space: 0, purged_blobs: 0 });
    expect((await h.client.gc.history()).map((g) => g.id)).toHaveLength(4);
  });

  it('deletes untagged artifacts first with delete_untagged (a dry run only counts them)', async () => {
    const project = uniqueName('gcu');
    await h.client.projects.create({ project_name: project });
    const model = await pushModel(h.emulator.url, `${project}/orphan`, 'tmp');
    await h.client.tags.delete(project, 'orphan', model.digest, 'tmp');
    h.emulator.clock.advance(3 * HOUR);

    const dry = await runGc({ dry_run: true, delete_untagged: true });
    expect(dry.params).toMatchObject({ freed_space: model.totalSize, purged_blobs: 3, purged_manifests: 1 });
    expect((await h.client.artifacts.list(project, 'orphan')).total).toBe(1);

    const real = await runGc({ dry_run: false, delete_untagged: true });
    expect(real.params).toMatchObject({ freed_space: model.totalSize, purged_blobs: 3, purged_manifests: 1 });
    expect(real.log).toContain(`delete the untagged artifact: ProjectID:`);
    expect(await registryStatus(h, `${project}/orphan/manifests/${model.digest}`)).toBe(404);
    for (const blob of [model.config, ...model.layers]) expect(await registryStatus(h, `${project}/orphan/blobs/${blob.digest}`)).toBe(404);
  });

  it('keeps a periodic schedule until None removes it, and refuses workers out of 1–10 (400)', async () => {
    await h.client.gc.schedule('Daily', { delete_untagged: true }, '0 0 0 * * *');
    const { data: schedule } = await h.client.api.GET('/system/gc/schedule');
    expect(schedule).toMatchObject({ schedule: { type: 'Daily', cron: '0 0 0 * * *' } });
    expect(JSON.parse(schedule!.job_parameters!)).toMatchObject({ delete_untagged: true });
    expect((await failureOf(h.client.gc.schedule('Manual', { workers: 11 }))).type).toBe('HarborBadRequest');
    await h.client.gc.schedule('None');
    const none = await h.client.api.GET('/system/gc/schedule', { parseAs: 'text' });
    expect([none.response.status, none.data]).toEqual([200, '']);
  });
});

describe('pull times flushed later, as Harbor buffers them', () => {
  let h: HarborTestbed;
  beforeAll(async () => {
    h = await startHarbor({ pullTimeFlushMs: 400 });
  });
  afterAll(async () => {
    expect(h.emulator.violations).toEqual([]);
    await h.stop();
  });

  it('shows the pull time only after the flush interval', async () => {
    const project = uniqueName('flush');
    await h.client.projects.create({ project_name: project });
    const model = await pushModel(h.emulator.url, `${project}/t5`, '1.0.0');
    expect((await pullManifest(h.emulator.url, `${project}/t5`, '1.0.0')).status).toBe(200);
    expect((await h.client.artifacts.get(project, 't5', model.digest))?.pull_time).toBe(NEVER);
    await eventually('pull time flushed', async () => (await h.client.artifacts.get(project, 't5', model.digest))?.pull_time !== NEVER);
  });
});
