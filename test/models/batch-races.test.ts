import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositoryBatchActivities } from '../../activities/catalogue/repository-batch';
import { startStackWithProject } from '../support/fixtures';
import type { TestStack } from '../support/stack';

/**
 * Harbor changes between the reads of one batch. Harbor here is a stand-in that answers the
 * race deterministically; the database is the real one.
 */
describe('repository batch against a Harbor that changes under it', () => {
  let stack: TestStack, project: string, projectId: string;
  beforeAll(async () => { ({ stack, project, projectId } = await startStackWithProject('races')); }, 120_000);
  afterAll(() => stack?.close());

  it('an artifact deleted between its read and its manifest read counts as gone, not as a failed batch', async () => {
    const digest = `sha256:${'cd'.repeat(32)}`;
    const { applyRepositoryEvents } = createRepositoryBatchActivities(stack.deps, {
      fetchHarborArtifact: () => Promise.resolve({ digest, harborId: 1, tags: [{ name: '1.0.0', harborId: 2 }] }),
      fetchArtifactManifest: () => Promise.reject(ApplicationFailure.create({ type: 'HarborNotFound', message: 'Harbor get manifest: 404 manifest unknown', nonRetryable: true })),
    });
    const input = { registry: stack.registry, project, projectId, repository: 'vanishing', events: [{ inboxId: randomUUID(), type: 'PUSH_ARTIFACT', digest, tag: '1.0.0', occurAt: 1 }] };
    const changes = await new MockActivityEnvironment().run(applyRepositoryEvents, input);
    expect(changes).toEqual([{ digest, change: 'unchanged', tags: [] }]);
    const images = await stack.database.sql`select 1 from modelregistry.images where digest = ${digest}`;
    expect(images).toHaveLength(0);
  });
});
