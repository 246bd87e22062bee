import type { components } from './generated/harbor-api';
import { harborFailure, harborNetworkFailure } from './errors';
import { byName, createHarborTransport, idFromLocation, repo, totalCount, type HarborClientOptions, type Page } from './transport';

export type { HarborClientOptions, Page } from './transport';
export type HarborSchemas = components['schemas'];
export type HarborProjectReq = HarborSchemas['ProjectReq'];
export type HarborWebhookPolicy = HarborSchemas['WebhookPolicy'];
export type HarborRepository = HarborSchemas['Repository'];
export type HarborArtifact = HarborSchemas['Artifact'];
export type HarborRobot = HarborSchemas['Robot'];
export type HarborRobotCreate = HarborSchemas['RobotCreate'];
export type HarborRegistry = HarborSchemas['Registry'];
export type HarborRegistryUpdate = HarborSchemas['RegistryUpdate'];
export type HarborReplicationPolicy = HarborSchemas['ReplicationPolicy'];
export type HarborReplicationExecution = HarborSchemas['ReplicationExecution'];
export type HarborReplicationTask = HarborSchemas['ReplicationTask'];
export type HarborImmutableRule = HarborSchemas['ImmutableRule'];
export type HarborRetentionExecution = HarborSchemas['RetentionExecution'];
export type HarborGcHistory = HarborSchemas['GCHistory'];

/** A GC run's or schedule's parameters (the definition types them as a map of objects; Harbor takes these). */
export interface HarborGcParameters {
  delete_untagged?: boolean;
  dry_run?: boolean;
  /** 1–10. */
  workers?: number;
}

/** `member_group.group_type` of an OIDC group. */
export const OIDC_GROUP_TYPE = 3;

/**
 * The Harbor API v2.0 calls the activities make, for one Harbor instance. Calls only tests make
 * (system, retention, user groups, scans, …) are in test/support/harbor-admin.ts.
 */
export function createHarborClient(opts: HarborClientOptions) {
  const { api, call, all, everyPage, registryGet } = createHarborTransport(opts);

  return {
    all,
    /** The account this client uses: Harbor names it as the operator of what the service does. */
    username: opts.username,

    registry: {
      manifest: (repository: string, reference: string) =>
        registryGet('get manifest', `${repository}/manifests/${reference}`, 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'),
      blobJson: (repository: string, digest: string) => registryGet('get blob', `${repository}/blobs/${digest}`),
    },

    projects: {
      async exists(name: string): Promise<boolean> {
        let response: Response;
        try {
          ({ response } = await api.HEAD('/projects', { params: { query: { project_name: name } } }));
        } catch (err) {
          throw harborNetworkFailure('head project', err);
        }
        if (response.status === 404) return false;
        if (!response.ok) throw harborFailure('head project', response, undefined);
        return true;
      },
      async create(body: HarborProjectReq): Promise<number> {
        const { response } = await call('create project', () => api.POST('/projects', { body }));
        return idFromLocation(response);
      },
      get: async (name: string) =>
        (await call('get project', () => api.GET('/projects/{project_name_or_id}', { params: { path: { project_name_or_id: name }, header: byName } }))).data,
      async update(name: string, body: HarborProjectReq) {
        await call('update project', () => api.PUT('/projects/{project_name_or_id}', { params: { path: { project_name_or_id: name }, header: byName }, body }));
      },
      async delete(name: string) {
        await call('delete project', () => api.DELETE('/projects/{project_name_or_id}', { params: { path: { project_name_or_id: name }, header: byName } }));
      },
      summary: async (name: string) =>
        (await call('project summary', () => api.GET('/projects/{project_name_or_id}/summary', { params: { path: { project_name_or_id: name }, header: byName } }))).data,
    },

    members: {
      list: (project: string) =>
        everyPage('list members', (page, pageSize) =>
          api.GET('/projects/{project_name_or_id}/members', { params: { path: { project_name_or_id: project }, header: byName, query: { page, page_size: pageSize } } }),
        ),
      async addGroup(project: string, groupName: string, roleId: number): Promise<number> {
        const { response } = await call('add member', () =>
          api.POST('/projects/{project_name_or_id}/members', {
            params: { path: { project_name_or_id: project }, header: byName },
            body: { role_id: roleId, member_group: { group_name: groupName, group_type: OIDC_GROUP_TYPE } },
          }),
        );
        return idFromLocation(response);
      },
      async updateRole(project: string, memberId: number, roleId: number) {
        await call('update member', () =>
          api.PUT('/projects/{project_name_or_id}/members/{mid}', { params: { path: { project_name_or_id: project, mid: memberId }, header: byName }, body: { role_id: roleId } }),
        );
      },
      async remove(project: string, memberId: number) {
        await call('remove member', () => api.DELETE('/projects/{project_name_or_id}/members/{mid}', { params: { path: { project_name_or_id: project, mid: memberId }, header: byName } }));
      },
    },

    webhooks: {
      list: (project: string) =>
        everyPage('list webhook policies', (page, pageSize) =>
          api.GET('/projects/{project_name_or_id}/webhook/policies', { params: { path: { project_name_or_id: project }, header: byName, query: { page, page_size: pageSize } } }),
        ),
      async create(project: string, policy: HarborWebhookPolicy): Promise<number> {
        const { response } = await call('create webhook policy', () =>
          api.POST('/projects/{project_name_or_id}/webhook/policies', { params: { path: { project_name_or_id: project }, header: byName }, body: policy }),
        );
        return idFromLocation(response);
      },
      async update(project: string, id: number, policy: HarborWebhookPolicy) {
        await call('update webhook policy', () =>
          api.PUT('/projects/{project_name_or_id}/webhook/policies/{webhook_policy_id}', {
            params: { path: { project_name_or_id: project, webhook_policy_id: id }, header: byName },
            body: policy,
          }),
        );
      },
      async delete(project: string, id: number) {
        await call('delete webhook policy', () =>
          api.DELETE('/projects/{project_name_or_id}/webhook/policies/{webhook_policy_id}', { params: { path: { project_name_or_id: project, webhook_policy_id: id }, header: byName } }),
        );
      },
    },

    repositories: {
      async list(project: string, query: { page?: number; pageSize?: number } = {}): Promise<Page<HarborRepository>> {
        const { data, response } = await call('list repositories', () =>
          api.GET('/projects/{project_name}/repositories', { params: { path: { project_name: project }, query: { page: query.page ?? 1, page_size: query.pageSize ?? 100 } } }),
        );
        return { items: data ?? [], total: totalCount(response, data?.length ?? 0) };
      },
      get: async (project: string, name: string) =>
        (await call('get repository', () => api.GET('/projects/{project_name}/repositories/{repository_name}', { params: { path: { project_name: project, repository_name: repo(name) } } }))).data,
      async updateDescription(project: string, name: string, description: string) {
        await call('update repository', () =>
          api.PUT('/projects/{project_name}/repositories/{repository_name}', { params: { path: { project_name: project, repository_name: repo(name) } }, body: { description } }),
        );
      },
      async delete(project: string, name: string) {
        await call('delete repository', () => api.DELETE('/projects/{project_name}/repositories/{repository_name}', { params: { path: { project_name: project, repository_name: repo(name) } } }));
      },
    },

    artifacts: {
      async list(
        project: string,
        repository: string,
        query: { page?: number; pageSize?: number; withTag?: boolean; withLabel?: boolean; withScanOverview?: boolean; withAccessory?: boolean; withImmutableStatus?: boolean; q?: string } = {},
      ): Promise<Page<HarborArtifact>> {
        const { data, response } = await call('list artifacts', () =>
          api.GET('/projects/{project_name}/repositories/{repository_name}/artifacts', {
            params: {
              path: { project_name: project, repository_name: repo(repository) },
              query: {
                page: query.page ?? 1,
                page_size: query.pageSize ?? 100,
                with_tag: query.withTag ?? true,
                with_label: query.withLabel ?? false,
                with_scan_overview: query.withScanOverview ?? false,
                with_accessory: query.withAccessory ?? false,
                with_immutable_status: query.withImmutableStatus ?? false,
                q: query.q,
              },
            },
          }),
        );
        return { items: data ?? [], total: totalCount(response, data?.length ?? 0) };
      },
      get: async (project: string, repository: string, reference: string, query: { withScanOverview?: boolean; withAccessory?: boolean; withLabel?: boolean } = {}) =>
        (await call('get artifact', () =>
          api.GET('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', {
            params: {
              path: { project_name: project, repository_name: repo(repository), reference },
              query: { with_tag: true, with_scan_overview: query.withScanOverview ?? true, with_accessory: query.withAccessory ?? true, with_label: query.withLabel ?? true },
            },
          }),
        )).data,
      /** Deletes the artifact with its tags and accessories (412 when one of its tags is immutable, 404 when already gone). */
      async delete(project: string, repository: string, reference: string) {
        await call('delete artifact', () =>
          api.DELETE('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', { params: { path: { project_name: project, repository_name: repo(repository), reference } } }),
        );
      },
    },

    tags: {
      /** Removes one tag of an artifact, which stays (412 when the tag is immutable, 404 when already gone). */
      async delete(project: string, repository: string, reference: string, tag: string) {
        await call('delete tag', () =>
          api.DELETE('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags/{tag_name}', {
            params: { path: { project_name: project, repository_name: repo(repository), reference, tag_name: tag } },
          }),
        );
      },
    },

    /** A project's tag immutability rules. */
    immutableRules: {
      list: (project: string): Promise<HarborImmutableRule[]> =>
        everyPage('list immutable tag rules', (page, pageSize) =>
          api.GET('/projects/{project_name_or_id}/immutabletagrules', { params: { path: { project_name_or_id: project }, header: byName, query: { page, page_size: pageSize } } }),
        ),
    },

    /** Tag retention policies (one per project, linked by the project's `retention_id` metadata) and their executions. */
    retention: {
      async create(body: HarborSchemas['RetentionPolicy']): Promise<number> {
        const { response } = await call('create retention', () => api.POST('/retentions', { body }));
        return idFromLocation(response);
      },
      async update(id: number, body: HarborSchemas['RetentionPolicy']) {
        await call('update retention', () => api.PUT('/retentions/{id}', { params: { path: { id } }, body }));
      },
      async delete(id: number) {
        await call('delete retention', () => api.DELETE('/retentions/{id}', { params: { path: { id } } }));
      },
      async createExecution(policyId: number, dryRun: boolean): Promise<number> {
        const { response } = await call('start retention', () => api.POST('/retentions/{id}/executions', { params: { path: { id: policyId } }, body: { dry_run: dryRun } }));
        return idFromLocation(response);
      },
      listExecutions: (policyId: number): Promise<HarborRetentionExecution[]> =>
        everyPage('list retention executions', (page, pageSize) => api.GET('/retentions/{id}/executions', { params: { path: { id: policyId }, query: { page, page_size: pageSize } } })),
    },

    /** Garbage collection: a `Manual` schedule runs it now (its id), any other type sets the schedule. */
    gc: {
      async schedule(type: 'Manual' | 'None' | 'Hourly' | 'Daily' | 'Weekly' | 'Custom', parameters: HarborGcParameters = {}, cron?: string): Promise<number | undefined> {
        const { response } = await call('schedule gc', () =>
          api.POST('/system/gc/schedule', { body: { schedule: { type, cron }, parameters: parameters as HarborSchemas['Schedule']['parameters'] } }),
        );
        return type === 'Manual' ? idFromLocation(response) : undefined;
      },
      history: (): Promise<HarborGcHistory[]> => everyPage('gc history', (page, pageSize) => api.GET('/system/gc', { params: { query: { page, page_size: pageSize } } })),
      /** One run; its `job_parameters` (JSON) carry `freed_space`, `purged_blobs`, `purged_manifests` once it ends. */
      get: async (id: number) => (await call('get gc', () => api.GET('/system/gc/{gc_id}', { params: { path: { gc_id: id } } }))).data,
      log: async (id: number) => (await call('gc log', () => api.GET('/system/gc/{gc_id}/log', { params: { path: { gc_id: id } }, parseAs: 'text' }))).data as string,
    },

    robots: {
      async create(body: HarborRobotCreate) {
        return (await call('create robot', () => api.POST('/robots', { body }))).data;
      },
      listForProject: (projectId: number): Promise<HarborRobot[]> =>
        everyPage('list robots', (page, pageSize) => api.GET('/robots', { params: { query: { q: `Level=project,ProjectID=${projectId}`, page, page_size: pageSize } } })),
      async delete(id: number) {
        await call('delete robot', () => api.DELETE('/robots/{robot_id}', { params: { path: { robot_id: id } } }));
      },
      /** A new secret generated by Harbor (empty body), returned once. */
      async refreshSecret(id: number) {
        return (await call('refresh robot secret', () => api.PATCH('/robots/{robot_id}', { params: { path: { robot_id: id } }, body: {} }))).data;
      },
    },

    /** Registry endpoints (remote registries), by Harbor's id. */
    registries: {
      async create(body: HarborRegistry): Promise<number> {
        const { response } = await call('create registry', () => api.POST('/registries', { body }));
        return idFromLocation(response);
      },
      get: async (id: number) => (await call('get registry', () => api.GET('/registries/{id}', { params: { path: { id } } }))).data,
      async update(id: number, body: HarborRegistryUpdate) {
        await call('update registry', () => api.PUT('/registries/{id}', { params: { path: { id } }, body }));
      },
      async delete(id: number) {
        await call('delete registry', () => api.DELETE('/registries/{id}', { params: { path: { id } } }));
      },
      async ping(body: HarborSchemas['RegistryPing']) {
        await call('ping registry', () => api.POST('/registries/ping', { body }));
      },
      list: () => everyPage('list registries', (page, pageSize) => api.GET('/registries', { params: { query: { page, page_size: pageSize } } })),
    },

    /** Replication policies, their executions and tasks, by Harbor's ids. */
    replication: {
      async createPolicy(body: HarborReplicationPolicy): Promise<number> {
        const { response } = await call('create replication policy', () => api.POST('/replication/policies', { body }));
        return idFromLocation(response);
      },
      getPolicy: async (id: number) => (await call('get replication policy', () => api.GET('/replication/policies/{id}', { params: { path: { id } } }))).data,
      listPolicies: (name?: string) =>
        everyPage('list replication policies', (page, pageSize) => api.GET('/replication/policies', { params: { query: { name, page, page_size: pageSize } } })),
      async updatePolicy(id: number, body: HarborReplicationPolicy) {
        await call('update replication policy', () => api.PUT('/replication/policies/{id}', { params: { path: { id } }, body }));
      },
      async deletePolicy(id: number) {
        await call('delete replication policy', () => api.DELETE('/replication/policies/{id}', { params: { path: { id } } }));
      },
      async startExecution(policyId: number): Promise<number> {
        const { response } = await call('start replication', () => api.POST('/replication/executions', { body: { policy_id: policyId } }));
        return idFromLocation(response);
      },
      getExecution: async (id: number) => (await call('get replication execution', () => api.GET('/replication/executions/{id}', { params: { path: { id } } }))).data,
      /** The policy's newest executions, one page. */
      async listRecentExecutions(policyId: number, pageSize: number) {
        return (await call('list replication executions', () => api.GET('/replication/executions', { params: { query: { policy_id: policyId, sort: '-id', page: 1, page_size: pageSize } } }))).data ?? [];
      },
      async stopExecution(id: number) {
        await call('stop replication', () => api.PUT('/replication/executions/{id}', { params: { path: { id } } }));
      },
      listTasks: (executionId: number) =>
        everyPage('list replication tasks', (page, pageSize) => api.GET('/replication/executions/{id}/tasks', { params: { path: { id: executionId }, query: { page, page_size: pageSize } } })),
    },
  };
}

export type HarborClient = ReturnType<typeof createHarborClient>;
