import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ReplicationExecutionRecord } from '../../db/queries/replications';
import { workflowBundle } from '../support/workflow-bundle';

/**
 * The follower of one Harbor execution, on the real Temporal server with its activities stood in
 * for (a unit test of the workflow): what it announces when another workflow wrote the final status first.
 */
describe("a replication execution's follower", () => {
  let connection: NativeConnection;
  let clientConnection: Connection;
  let client: Client;
  beforeAll(async () => {
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    clientConnection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection: clientConnection });
  });
  afterAll(async () => {
    await clientConnection?.close();
    await connection?.close();
  });

  it("announces the end once, though a promotion's one-off replication recorded the final status before it read it", async () => {
    const taskQueue = `follower-${randomUUID()}`;
    const execution = { id: randomUUID(), registry: 'harbor.test', harborExecutionId: 7, harborPolicyId: 3, ruleId: null, purpose: 'promotion', status: 'Succeed' } as ReplicationExecutionRecord;
    const published: { id: string; type: string }[] = [];
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: {
        readHarborReplication: async () => ({ harborExecutionId: 7, harborPolicyId: 3, status: 'Succeed' }),
        // The row's status was final already: the promotion's own poll wrote it.
        observeReplicationExecution: async () => ({ execution, previousStatus: 'Succeed' }),
        publishEvent: async (event: { id: string; type: string }) => void published.push(event),
      },
    });
    await worker.runUntil(async () => {
      await client.workflow.execute('replicationExecutionWorkflow', { taskQueue, workflowId: `follower-${randomUUID()}`, args: [{ registry: 'harbor.test', harborExecutionId: 7 }] });
      // One started again for an end already announced (a webhook's nudge of a lately Failed execution) does not repeat it.
      await client.workflow.execute('replicationExecutionWorkflow', { taskQueue, workflowId: `follower-${randomUUID()}`, args: [{ registry: 'harbor.test', harborExecutionId: 7 }, undefined, [], 'Succeed'] });
    });
    expect(published.map((e) => [e.type, e.id])).toEqual([['modelregistry.replication_execution.finished', 'replication-execution:harbor.test/7:Succeed']]);
  });
});
