import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarbor, type HarborTestbed } from '../support/harbor';
import { uniqueName } from '../support/stack';
import { pushCosignSignature, pushModel } from './oci-push';
import { startReceiver } from './receiver';

type Json = Record<string, unknown> & { [key: string]: never };

const EVENTS = ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED'];

describe('a real OCI push through the emulator', () => {
  let h: HarborTestbed;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    h = await startHarbor({ scanDelayMs: 50 });
    receiver = await startReceiver();
  });
  afterEach(() => {
    expect(h.emulator.violations).toEqual([]);
    h.emulator.faults.reset();
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await h.stop();
    await receiver.stop();
  });

  async function projectWithHooks(format: 'Default' | 'CloudEvents', auth = 'Bearer hook-secret') {
    const project = uniqueName('push');
    await h.client.projects.create({ project_name: project, metadata: { public: 'false' } });
    await h.client.webhooks.create(project, {
      name: 'registry',
      enabled: true,
      event_types: EVENTS,
      targets: [{ type: 'http', address: receiver.url, auth_header: auth, skip_cert_verify: false, payload_format: format }],
    });
    return project;
  }

  it('shows the real digest, size and annotations of a pushed ModelPack artifact', async () => {
    const project = await projectWithHooks('Default');
    const model = await pushModel(h.emulator.url, `${project}/llama-ft`, '1.2.0');
    const [artifact] = (await h.client.artifacts.list(project, 'llama-ft', { withTag: true })).items;
    expect(artifact).toMatchObject({
      digest: model.digest,
      size: model.totalSize,
      type: 'MODEL',
      media_type: 'application/vnd.cncf.model.config.v1+json',
      manifest_media_type: 'application/vnd.oci.image.manifest.v1+json',
      artifact_type: 'application/vnd.cncf.model.manifest.v1+json',
      annotations: model.annotations,
      repository_name: `${project}/llama-ft`,
    });
    expect(artifact?.tags?.map((t) => t.name)).toEqual(['1.2.0']);
    // Harbor's default processor copies a ModelPack's whole config into extra_attrs at push time.
    expect(artifact?.extra_attrs).toMatchObject({ descriptor: { family: 'llama', version: '1.2.0' }, config: { architecture: 'transformer', paramSize: '8b' } });
    expect(await h.client.artifacts.get(project, 'llama-ft', '1.2.0')).toMatchObject({ digest: model.digest });
  });

  it('sends PUSH_ARTIFACT in Harbor\'s Default format with the auth header', async () => {
    const project = await projectWithHooks('Default', 'Bearer default-secret');
    const model = await pushModel(h.emulator.url, `${project}/bert`, '0.1.0');
    const [delivery] = await receiver.waitFor(1);
    expect(delivery!.headers.authorization).toBe('Bearer default-secret');
    expect(delivery!.headers['content-type']).toBe('application/json');
    const body = delivery!.body as Json;
    expect(body).toMatchObject({
      type: 'PUSH_ARTIFACT',
      operator: 'anonymous',
      event_data: {
        resources: [{ digest: model.digest, tag: '0.1.0', resource_url: `${h.emulator.registryAddress}/${project}/bert:0.1.0` }],
        repository: { name: 'bert', namespace: project, repo_full_name: `${project}/bert`, repo_type: 'private' },
      },
    });
    expect(typeof body.occur_at).toBe('number');
  });

  it('sends CloudEvents with Harbor\'s type names, source and extensions', async () => {
    const project = await projectWithHooks('CloudEvents', 'Bearer ce-secret');
    const model = await pushModel(h.emulator.url, `${project}/vit`, '2.0.0');
    const [delivery] = await receiver.waitFor(1);
    expect(delivery!.headers.authorization).toBe('Bearer ce-secret');
    expect(delivery!.headers['content-type']).toBe('application/cloudevents+json');
    const projectId = (await h.client.projects.get(project))!.project_id;
    const policyId = (await h.client.webhooks.list(project))[0]!.id;
    expect(delivery!.body).toMatchObject({
      specversion: '1.0',
      type: 'harbor.artifact.pushed',
      source: `/projects/${projectId}/webhook/policies/${policyId}`,
      datacontenttype: 'application/json',
      operator: 'anonymous',
      data: { resources: [{ digest: model.digest, tag: '2.0.0' }], repository: { repo_full_name: `${project}/vit` } },
    });
    expect((delivery!.body as { id: string; requestid: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    expect((delivery!.body as { requestid: string }).requestid).toBeTruthy();
  });

  it('sends pull, scan and delete events, and attaches a cosign signature as an accessory', async () => {
    const project = await projectWithHooks('Default');
    const model = await pushModel(h.emulator.url, `${project}/sd`, '1.0.0');
    await receiver.waitFor(1);
    const pull = await fetch(`${h.emulator.url}/v2/${project}/sd/manifests/1.0.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(pull.status).toBe(200);
    await receiver.waitFor(2);
    await pushCosignSignature(h.emulator.url, `${project}/sd`, model.digest);
    const artifact = await h.client.artifacts.get(project, 'sd', model.digest, { withAccessory: true });
    expect(artifact?.accessories).toEqual([expect.objectContaining({ type: 'signature.cosign', subject_artifact_digest: model.digest })]);
    expect((await h.client.artifacts.list(project, 'sd')).items).toHaveLength(1);
    await h.client.artifacts.scan(project, 'sd', '1.0.0');
    await receiver.waitFor(3);
    await h.client.artifacts.delete(project, 'sd', model.digest);
    const all = await receiver.waitFor(4);
    expect(all.map((d) => (d.body as { type: string }).type)).toEqual(['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'SCANNING_COMPLETED', 'DELETE_ARTIFACT']);
    const scan = all[2]!.body as { event_data: { scan: unknown; resources: { scan_overview: Record<string, { scan_status: string }> }[] } };
    expect(scan.event_data.scan).toEqual({ scan_type: 'vulnerability' });
    expect(Object.values(scan.event_data.resources[0]!.scan_overview)[0]!.scan_status).toBe('Success');
  });

  it('answers reads by digest with the registry\'s bytes, and forgets a deleted manifest', async () => {
    const project = await projectWithHooks('Default');
    const model = await pushModel(h.emulator.url, `${project}/cached`, '1.0.0');
    const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
    for (const path of [`manifests/${model.digest}`, `blobs/${model.config.digest}`]) {
      // Twice: the first read may reach the registry, the second is answered from what the emulator kept.
      for (let i = 0; i < 2; i++) {
        const [viaHarbor, direct] = await Promise.all([fetch(`${h.emulator.url}/v2/${project}/cached/${path}`, { headers: accept }), fetch(`${h.registryUrl}/v2/${project}/cached/${path}`, { headers: accept })]);
        expect(viaHarbor.status).toBe(200);
        expect(Buffer.from(await viaHarbor.arrayBuffer())).toEqual(Buffer.from(await direct.arrayBuffer()));
        for (const header of ['content-type', 'content-length', 'docker-content-digest']) expect(viaHarbor.headers.get(header)).toBe(direct.headers.get(header));
      }
    }
    await h.client.artifacts.delete(project, 'cached', model.digest);
    const gone = await fetch(`${h.emulator.url}/v2/${project}/cached/manifests/${model.digest}`, { headers: accept });
    expect(gone.status).toBe(404);
    await gone.body?.cancel();
  });

  it('refuses a push to a project that does not exist, as Harbor does', async () => {
    await expect(pushModel(h.emulator.url, `${uniqueName('nope')}/m`, '1.0.0')).rejects.toThrow(/404/);
  });

  it('drops, duplicates and reorders webhooks on request', async () => {
    const project = await projectWithHooks('Default');
    h.emulator.faults.dropWebhooks(1);
    await pushModel(h.emulator.url, `${project}/a`, '1.0.0');
    await h.emulator.webhooks.idle();
    expect(receiver.received).toHaveLength(0);

    h.emulator.faults.duplicateWebhooks(1);
    await pushModel(h.emulator.url, `${project}/a`, '1.0.1');
    expect(await receiver.waitFor(2)).toHaveLength(2);
    expect(receiver.received[0]!.body).toEqual(receiver.received[1]!.body);
    receiver.received.length = 0;

    h.emulator.faults.reorderWebhooks(2);
    await pushModel(h.emulator.url, `${project}/a`, '1.0.2');
    await pushModel(h.emulator.url, `${project}/a`, '1.0.3');
    const reordered = await receiver.waitFor(2);
    expect(reordered.map((d) => (d.body as { event_data: { resources: { tag: string }[] } }).event_data.resources[0]!.tag)).toEqual(['1.0.3', '1.0.2']);
  });

  it('retries a failing receiver three times, as Harbor\'s job service does', async () => {
    const failing = await startReceiver({ status: 503 });
    const project = uniqueName('retry');
    await h.client.projects.create({ project_name: project });
    await h.client.webhooks.create(project, { name: 'r', enabled: true, event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address: failing.url, payload_format: 'Default' }] });
    await pushModel(h.emulator.url, `${project}/m`, '1.0.0');
    await h.emulator.webhooks.idle();
    expect(failing.received).toHaveLength(3);
    expect(h.emulator.webhooks.deliveries.at(-1)).toMatchObject({ status: 503, attempts: 3 });
    await failing.stop();
  });

  it('waits between tries when told to (the stack: Harbor\'s 16 s and 31 s), so a receiver back meanwhile gets the event', async () => {
    const patient = await startHarbor({ webhookRetryDelaysMs: [400, 400] });
    const restarting = await startReceiver({ failFirst: 1 });
    try {
      const project = uniqueName('backoff');
      await patient.client.projects.create({ project_name: project });
      await patient.client.webhooks.create(project, { name: 'r', enabled: true, event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address: restarting.url, payload_format: 'Default' }] });
      await pushModel(patient.emulator.url, `${project}/m`, '1.0.0');
      const first = await restarting.waitFor(1);
      const firstAt = Date.now();
      await restarting.waitFor(2);
      expect(Date.now() - firstAt).toBeGreaterThanOrEqual(350);
      await patient.emulator.webhooks.idle();
      expect(patient.emulator.webhooks.deliveries.at(-1)).toMatchObject({ status: 200, attempts: 2 });
      expect(first[1]!.body).toEqual(first[0]!.body);
    } finally {
      await patient.stop();
      await restarting.stop();
    }
  });
});
