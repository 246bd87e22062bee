import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { createTenant } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { spawnWorker } from '../support/worker-process';

describe('a worker killed in the middle of an onboarding', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(() => stack.close());

  it('completes once after a restart: one Harbor project, one webhook policy, one event', async () => {
    const tenant = uniqueName('tenant');
    const name = uniqueName('crash');
    const worker = await spawnWorker(stack.workerEnv);
    const app = stack.appWith({ mutationWaitMs: 0 });
    await createTenant(stack, { name: tenant });

    // Harbor creates the project, but its answer is held back until after the worker is dead:
    // the retried activity meets its own earlier work.
    stack.harbor.emulator.faults.delayResponse('createProject', 5_000);
    const res = await app.request('/api/v1/projects', jsonRequest({ name, display_name: 'Crash', tenantId: tenant }));
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    await eventually('the project in Harbor', () => stack.harbor.emulator.state.projects.has(name), { timeoutMs: 10_000, intervalMs: 50 });
    expect(stack.harbor.emulator.state.projects.has(name)).toBe(true);
    worker.kill();

    await stack.startWorker();
    const operation = await eventually('the operation to finish', async () => {
      const op = await readJson(await stack.app.request(location));
      return op.status !== 'running' && op;
    }, { intervalMs: 250 });
    expect(operation.status).toBe('completed');
    expect(operation.result.project).toMatchObject({ name, harborId: stack.harbor.emulator.state.projects.get(name)!.project.project_id });

    expect([...stack.harbor.emulator.state.projects.keys()].filter((n) => n === name)).toHaveLength(1);
    expect(stack.harbor.emulator.state.projects.get(name)!.webhookPolicies).toHaveLength(1);
    expect(await stack.database.sql`select 1 from modelregistry.projects where name = ${name}`).toHaveLength(1);
    const mine = (records: ConsumedRecord[]) => records.filter((e) => e.key.endsWith(`/${name}`));
    const events = mine(await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the onboarding event',
      until: (records) => mine(records).length >= 1,
      never: { what: 'a second event of the project', check: (records) => mine(records).length > 1 && mine(records), forMs: 1500 },
    }));
    expect(events).toHaveLength(1);
  });
});
