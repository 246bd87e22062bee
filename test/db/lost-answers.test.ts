import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { checkpointWorkflowId, projectWorkflowId, remoteRegistryWorkflowId, upstreamWorkflowId, virtualRegistryWorkflowId } from '../../lib/workflow-ids';
import { pushModel } from '../harbor/oci-push';
import { createTenant, onboardProject } from '../support/fixtures';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { startStandInWorker } from '../support/stand-in-worker';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/** The deletes whose first attempt commits and then loses its answer, as a worker killed after the commit would. */
const LOSING = ['archiveProject', 'archiveRemoteRegistry', 'archiveUpstream', 'archiveVirtualRegistry', 'archiveCheckpoint'] as const;

describe('a delete whose archive committed but whose answer was lost', () => {
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof startStandInWorker>>;
  let tenant: string;
  let project: string;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false, receiveWebhooks: true });
    const activities = { ...createActivities(stack.deps) } as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of LOSING) {
      const real = activities[name]!;
      activities[name] = async (...args) => {
        const result = await real(...args);
        if (Context.current().info.attempt === 1) throw ApplicationFailure.retryable('the answer was lost after the commit', 'AnswerLost');
        return result;
      };
    }
    worker = await startStandInWorker(stack, activities);
    tenant = await createTenant(stack);
    ({ project } = await onboardProject(stack, tenant));
    await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    expect((await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' })).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await stack?.close();
  });

  /** The attempt that ended each run of one activity in the workflow's latest run (history keeps only that one). */
  async function attempts(workflowId: string, activity: string): Promise<number[]> {
    const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity).map((e) => String(e.eventId)));
    return events.flatMap((e) => (e.activityTaskStartedEventAttributes && scheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ? [e.activityTaskStartedEventAttributes.attempt ?? 0] : []));
  }

  async function deleted(path: string): Promise<Record<string, unknown>> {
    const res = await stack.app.request(path, { method: 'DELETE' });
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  it('answers 200 with what it archived, and announces it, instead of a 404 for its own work', async () => {
    const checkpoints = `/api/v1/models/${project}/llama/versions/1.0.0/checkpoints`;
    expect((await stack.app.request(checkpoints, jsonRequest({ name: 'step-1', uri: 's3://ckpts/step-1/' }))).status).toBe(201);
    expect(await deleted(`${checkpoints}/step-1`)).toMatchObject({ name: 'step-1' });
    expect(await attempts(checkpointWorkflowId(stack.registry, project, 'llama', '1.0.0', 'step-1'), 'archiveCheckpoint')).toEqual([2]);

    const upstream = uniqueName('lost-up');
    const registry = uniqueName('lost-vr');
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/upstreams`, jsonRequest({ name: upstream, url: stack.harbor.registryUrl }))).status).toBe(201);
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries`, jsonRequest({ name: registry }))).status).toBe(201);
    expect(await deleted(`/api/v1/tenants/${tenant}/virtual-registries/${registry}`)).toMatchObject({ name: registry, upstreams: [] });
    expect(await attempts(virtualRegistryWorkflowId(tenant, registry), 'archiveVirtualRegistry')).toEqual([2]);
    expect(await deleted(`/api/v1/tenants/${tenant}/upstreams/${upstream}`)).toMatchObject({ name: upstream });
    expect(await attempts(upstreamWorkflowId(tenant, upstream), 'archiveUpstream')).toEqual([2]);

    // Forced out of a virtual registry's list: the retry still says which lists it left, so the registry's change is audited and announced.
    const used = uniqueName('lost-used');
    const user = uniqueName('lost-user');
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/upstreams`, jsonRequest({ name: used, url: stack.harbor.registryUrl }))).status).toBe(201);
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries`, jsonRequest({ name: user }))).status).toBe(201);
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries/${user}/upstreams`, jsonRequest([{ upstream: used, position: 1 }], {}, 'PUT'))).status).toBe(200);
    expect(await deleted(`/api/v1/tenants/${tenant}/upstreams/${used}?force=true`)).toMatchObject({ name: used });
    expect(await attempts(upstreamWorkflowId(tenant, used), 'archiveUpstream')).toEqual([2]);
    const audited = await stack.database.sql<{ action: string; removed: string | null }[]>`
      select action, coalesce(details->>'removedUpstream', details->'removedFrom'->>0) as removed from modelregistry.audit_events
      where resource in (${`tenants/${tenant}/virtual-registries/${user}`}, ${`tenants/${tenant}/upstreams/${used}`}) and (action = 'upstream.deleted' or details->>'removedUpstream' is not null) order by action`;
    expect(audited.map((r) => ({ ...r }))).toEqual([{ action: 'upstream.deleted', removed: user }, { action: 'virtual_registry.updated', removed: used }]);

    const remote = uniqueName('lost-remote');
    const made = await stack.app.request('/api/v1/registries', jsonRequest({ name: remote, tenant, type: 'docker-registry', url: stack.harbor.registryUrl }));
    expect(made.status, await made.clone().text()).toBe(201);
    expect(await deleted(`/api/v1/registries/${remote}`)).toMatchObject({ name: remote });
    expect(await attempts(remoteRegistryWorkflowId(stack.registry, remote), 'archiveRemoteRegistry')).toEqual([2]);

    expect(await deleted(`/api/v1/projects/${project}`)).toMatchObject({ name: project });
    expect(await attempts(projectWorkflowId(stack.registry, project), 'archiveProject')).toEqual([2]);
    const typesOf = (records: { value: string }[]) => records.map((r) => (JSON.parse(r.value) as { type: string }).type);
    const types = typesOf(await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the archived project announced', until: (records) => typesOf(records).includes('modelregistry.project.archived') }));
    for (const type of ['checkpoint.deleted', 'virtual_registry.deleted', 'upstream.deleted', 'registry.deleted', 'project.archived']) expect(types).toContain(`modelregistry.${type}`);
  });

  it('still answers 404 on a first attempt that finds nothing to archive', async () => {
    const res = await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries/${uniqueName('never')}`, { method: 'DELETE' });
    expect(res.status).toBe(404);
  });
});
