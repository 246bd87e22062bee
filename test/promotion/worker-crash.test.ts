import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { readJson } from '../support/http';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { spawnWorker } from '../support/worker-process';
import { approve, createRemote, promote, pushVersion, servedDigest } from './support';

/**
 * worker.ts killed (SIGKILL) while Harbor's answer to the promotion's start of its copy is on the
 * way: another worker takes the workflow over and it completes once — one Harbor execution, one
 * location, one promoted event.
 */
describe('a worker killed in the middle of a promotion', () => {
  let stack: TestStack;
  let remoteRegistry: OciRegistry;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false, receiveWebhooks: true });
    remoteRegistry = await startOciRegistry();
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await remoteRegistry?.stop();
  });

  it('completes once after another worker takes over', async () => {
    const worker = await spawnWorker(stack.workerEnv);
    const tenant = await createTenant(stack);
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('crash') });
    const remote = await createRemote(stack, tenant, uniqueName('prod'), remoteRegistry.url);
    const v = await pushVersion(stack, project, 'llama', { passing: true, signed: true });
    expect((await approve(stack, project, 'llama', v.tag, bearer(await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' })))).status).toBe(200);

    // Harbor starts the copy, but its answer to the start is held until the worker is dead: the
    // retried start must meet the execution Harbor already runs, not start a second copy.
    stack.harbor.emulator.faults.delayResponse('startReplication', 6_000);
    const app = stack.appWith({ mutationWaitMs: 0 });
    const res = await promote({ ...stack, app }, project, 'llama', v.tag, { registry: remote });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    await eventually('Harbor running the promotion\'s execution', () => stack.harbor.emulator.state.replicationExecutions.size > 0, { timeoutMs: 30_000, intervalMs: 50 });
    worker.kill();

    await stack.startWorker();
    const operation = await eventually('the promotion to finish', async () => {
      const op = await readJson(await stack.app.request(location));
      return op.status !== 'running' && op;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(operation.status, JSON.stringify(operation)).toBe('completed');
    expect(operation.result).toMatchObject({ digest: v.digest, copied: true, status: 'present' });
    expect(await servedDigest(remoteRegistry.url, `${project}/llama`, v.tag)).toBe(v.digest);

    // This stack's Harbor ran one execution only: the retried read met the same one.
    expect(stack.harbor.emulator.state.replicationExecutions.size).toBe(1);
    expect(await stack.database.sql`select 1 from modelregistry.replication_executions e join modelregistry.projects p on p.id = e.project_id where p.name = ${project}`).toHaveLength(1);
    expect(await stack.database.sql`select 1 from modelregistry.model_version_locations l join modelregistry.projects p on p.id = l.project_id where p.name = ${project}`).toHaveLength(1);
    const promoted = (records: ConsumedRecord[]) => records.filter((r) => JSON.parse(r.value).type === 'modelregistry.model.promoted');
    const events = promoted(await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the promoted event',
      until: (records) => promoted(records).length >= 1,
      never: { what: 'a second promoted event', check: (records) => promoted(records).length > 1 && promoted(records), forMs: 1500 },
    }));
    expect(events).toHaveLength(1);
  }, 180_000);
});
