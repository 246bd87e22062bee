import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositoryBatchActivities } from '../../activities/catalogue/repository-batch';
import { startStackWithProject } from '../support/fixtures';
import type { TestStack } from '../support/stack';

/**
 * Harbor changes between the reads of one batch, or answers in a way the real emulator cannot be
 * made to. Harbor here is a stand-in that answers deterministically; the database is the real one.
 */
describe('repository batch against a stand-in Harbor', () => {
  let stack: TestStack, project: string, projectId: string;
  beforeAll(async () => { ({ stack, project, projectId } = await startStackWithProject('races')); }, 120_000);
  afterAll(() => stack?.close());

  it('an artifact deleted between its read and its manifest read counts as gone, not as a failed batch', async () => {
    const digest = `sha256:${'cd'.repeat(32)}`;
    const { applyRepositoryEvents } = createRepositoryBatchActivities(stack.deps, {
      fetchHarborArtifact: () => Promise.resolve({ digest, harborId: 1, tags: [{ name: '1.0.0', harborId: 2 }] }),
      fetchArtifactManifest: () => Promise.reject(ApplicationFailure.create({ type: 'HarborNotFound', message: 'Harbor get manifest: 404 manifest unknown', nonRetryable: true })),
      fetchArtifactConfig: () => Promise.reject(new Error('no manifest, so no config to read')),
    });
    const input = { registry: stack.registry, project, projectId, repository: 'vanishing', events: [{ inboxId: randomUUID(), type: 'PUSH_ARTIFACT', digest, tag: '1.0.0', occurAt: 1 }] };
    const changes = await new MockActivityEnvironment().run(applyRepositoryEvents, input);
    expect(changes).toEqual([{ digest, change: 'unchanged', tags: [], eventId: expect.any(String) }]);
    const images = await stack.database.sql`select 1 from modelregistry.images where digest = ${digest}`;
    expect(images).toHaveLength(0);
  });

  it("reads a model's config from the artifact's extra_attrs, where Harbor copied it, not from its config blob", async () => {
    const digest = `sha256:${'ef'.repeat(32)}`;
    const manifest = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cncf.model.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.model.config.v1+json', digest: `sha256:${'01'.repeat(32)}`, size: 200 },
      layers: [],
    };
    const { applyRepositoryEvents } = createRepositoryBatchActivities(stack.deps, {
      fetchHarborArtifact: () => Promise.resolve({ digest, harborId: 7, tags: [{ name: '2.0.0', harborId: 8 }], modelConfig: { descriptor: { family: 'qwen' }, config: { architecture: 'moe', paramSize: '30b' } } }),
      fetchArtifactManifest: () => Promise.resolve(manifest),
      fetchArtifactConfig: () => Promise.reject(new Error('the config blob was read although Harbor had copied it')),
    });
    const input = { registry: stack.registry, project, projectId, repository: 'copied-config', events: [{ inboxId: randomUUID(), type: 'PUSH_ARTIFACT', digest, tag: '2.0.0', occurAt: 1 }] };
    const changes = await new MockActivityEnvironment().run(applyRepositoryEvents, input);
    expect(changes).toEqual([{ digest, change: 'added', tags: ['2.0.0'], eventId: expect.any(String) }]);
    const rows = await stack.database.sql<{ name: string; value: string }[]>`
      select m.name, m.value from modelregistry.metadata m join modelregistry.images i on i.id = m.image_id
      where i.digest = ${digest} and m.name in ('architecture', 'paramSize') order by m.name`;
    expect(rows.map((r) => ({ ...r }))).toEqual([{ name: 'architecture', value: 'moe' }, { name: 'paramSize', value: '30b' }]);
  });

  it('a batch retried after its commit (the answer lost) reports the changes it made, not "unchanged"', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'02'.repeat(32)}`, size: 2 }, layers: [] };
    const { applyRepositoryEvents } = createRepositoryBatchActivities(stack.deps, {
      fetchHarborArtifact: () => Promise.resolve({ digest, harborId: 9, tags: [{ name: '3.0.0', harborId: 10 }] }),
      fetchArtifactManifest: () => Promise.resolve(manifest),
      fetchArtifactConfig: () => Promise.resolve(null),
    });
    // Harbor's push event, and the same event delivered twice.
    const push = { type: 'PUSH_ARTIFACT', digest, tag: '3.0.0', occurAt: 1 };
    const input = { registry: stack.registry, project, projectId, repository: 'retried', events: [{ inboxId: randomUUID(), ...push }, { inboxId: randomUUID(), ...push }] };
    const first = (await new MockActivityEnvironment().run(applyRepositoryEvents, input)) as { change: string; eventId?: string }[];
    expect(first.map((c) => c.change)).toEqual(['added', 'unchanged']);
    expect(first[0]!.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The same change reported again carries the same event id, for consumers to drop.
    expect(await new MockActivityEnvironment({ attempt: 2 }).run(applyRepositoryEvents, input)).toEqual(first);
    // The same deliveries applied again by a first attempt (the sweeper's re-dispatch): announced already.
    expect(((await new MockActivityEnvironment().run(applyRepositoryEvents, input)) as { change: string }[]).map((c) => c.change)).toEqual(['unchanged', 'unchanged']);
    // A retry that finds Harbor moved on since (the digest deleted) reports what it did now.
    const gone = createRepositoryBatchActivities(stack.deps, {
      fetchHarborArtifact: () => Promise.resolve(null),
      fetchArtifactManifest: () => Promise.reject(ApplicationFailure.create({ type: 'HarborNotFound', message: 'Harbor get manifest: 404 manifest unknown', nonRetryable: true })),
      fetchArtifactConfig: () => Promise.reject(new Error('no artifact, so no config to read')),
    });
    const moved = (await new MockActivityEnvironment({ attempt: 2 }).run(gone.applyRepositoryEvents, input)) as { change: string; eventId?: string }[];
    expect(moved.map((c) => c.change)).toEqual(['archived', 'unchanged']);
    // Another change of the same webhook event is another event.
    expect(moved[0]!.eventId).not.toBe(first[0]!.eventId);
  });

  it('a batch retried after its commit reports again the version its push took a tag from', async () => {
    const [a, b] = [`sha256:${'a1'.repeat(32)}`, `sha256:${'b2'.repeat(32)}`];
    const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'03'.repeat(32)}`, size: 2 }, layers: [] };
    // Harbor: first `a` holds 1.0.0; then a push moves 1.0.0 to `b`.
    let holder = a;
    const { applyRepositoryEvents } = createRepositoryBatchActivities(stack.deps, {
      fetchHarborArtifact: (_r, _p, _m, digest: string) => Promise.resolve({ digest, harborId: digest === a ? 11 : 12, tags: digest === holder ? [{ name: '1.0.0', harborId: 13 }] : [] }),
      fetchArtifactManifest: () => Promise.resolve(manifest),
      fetchArtifactConfig: () => Promise.resolve(null),
    });
    const push = (digest: string) => ({ registry: stack.registry, project, projectId, repository: 'moving', events: [{ inboxId: randomUUID(), type: 'PUSH_ARTIFACT', digest, tag: '1.0.0', occurAt: 1 }] });
    await new MockActivityEnvironment().run(applyRepositoryEvents, push(a));
    holder = b;
    const input = push(b);
    const first = (await new MockActivityEnvironment().run(applyRepositoryEvents, input)) as { digest: string; change: string; tags: string[] }[];
    expect(first.map((c) => [c.digest, c.change, c.tags])).toEqual([[b, 'added', ['1.0.0']], [a, 'updated', []]]);
    expect(await new MockActivityEnvironment({ attempt: 2 }).run(applyRepositoryEvents, input)).toEqual(first);
  });
});
