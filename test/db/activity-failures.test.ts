import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connect, type Database } from '../../db/client';
import { createWorker } from '../../composition/worker';
import { tenantWorkflowId } from '../../lib/workflow-ids';
import { eventually } from '../support/eventually';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { startProxy } from '../support/tcp-proxy';
import { workflowBundle } from '../support/workflow-bundle';

/** The failures a workflow's history recorded (activity attempts and the workflow's own), payloads decoded. */
async function recordedFailures(stack: TestStack, workflowId: string): Promise<string> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const failures = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes || e.workflowExecutionFailedEventAttributes);
  return JSON.stringify(failures, (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
}

describe('activity failures from PostgreSQL', () => {
  let stack: TestStack;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let database: Database;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    proxy = await startProxy(new URL(inject('databaseUrl')));
    const url = new URL(inject('databaseUrl'));
    url.port = String(proxy.port);
    database = connect(url.toString(), { max: 2 });
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    worker = await createWorker({ connection, namespace: 'default', taskQueue: stack.taskQueue, deps: { ...stack.deps, db: database.db }, workflowBundle: workflowBundle() });
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await database.close();
    await proxy.close();
    await stack.close();
  });

  const startTenant = (input: { name: string; companyName: string; url: string }) =>
    stack.client.workflow.start('tenantUpsertWorkflow', { args: [input], taskQueue: stack.taskQueue, workflowId: tenantWorkflowId(input.name) });

  it('fails the workflow at once on a data error, with a message that carries no parameter', async () => {
    const name = uniqueName('poison');
    const marker = `marker-${name}`;
    // Past the API (which rejects it) straight to the workflow: PostgreSQL refuses the NUL.
    const handle = await startTenant({ name, companyName: `${marker}\u0000`, url: `https://${marker}.example` });
    const failure = await handle.result().then(() => null, (err: Error & { cause?: Error & { cause?: Error & { type?: string; nonRetryable?: boolean } } }) => err);
    const cause = failure?.cause?.cause;
    expect(cause).toMatchObject({ type: 'DataRejected', nonRetryable: true });
    expect(cause?.message).toMatch(/^PostgreSQL 22021 character_not_in_repertoire/);

    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
    expect(attempts).toEqual([1, 1]); // findTenant, then the one attempt of upsertTenant
    const recorded = await recordedFailures(stack, handle.workflowId);
    expect(recorded).toContain('character_not_in_repertoire');
    for (const leaked of [marker, name, 'insert into', 'params:']) expect(recorded).not.toContain(leaked);
  });

  it('retries through a database outage mid-activity and completes once the database is back', async () => {
    const name = uniqueName('outage');
    await proxy.cut();
    const handle = await startTenant({ name, companyName: 'Outage Corp', url: 'https://outage.example' });
    let lastFailure = '';
    await eventually('a second attempt of the activity', async () => {
      const pending = (await handle.describe()).raw.pendingActivities?.[0];
      lastFailure = JSON.stringify(pending?.lastFailure ?? null);
      return (pending?.attempt ?? 0) >= 2;
    });
    expect(lastFailure).toContain('PostgreSQL unavailable');
    expect(lastFailure).not.toContain(name);
    await proxy.restore();
    expect(await handle.result()).toMatchObject({ created: true, tenant: { name, companyName: 'Outage Corp' } });
  });
});
