import createClient from 'openapi-fetch';
import type { components, paths } from './generated/harbor-api';
import { harborFailure, harborNetworkFailure } from './errors';

export type HarborSchemas = components['schemas'];
export type HarborProject = HarborSchemas['Project'];
export type HarborProjectReq = HarborSchemas['ProjectReq'];
export type HarborMember = HarborSchemas['ProjectMemberEntity'];
export type HarborWebhookPolicy = HarborSchemas['WebhookPolicy'];
export type HarborRepository = HarborSchemas['Repository'];
export type HarborArtifact = HarborSchemas['Artifact'];
export type HarborRobot = HarborSchemas['Robot'];
export type HarborRobotCreate = HarborSchemas['RobotCreate'];
export type HarborRegistry = HarborSchemas['Registry'];
export type HarborReplicationPolicy = HarborSchemas['ReplicationPolicy'];
export type HarborRetentionPolicy = HarborSchemas['RetentionPolicy'];
export type HarborUserGroup = HarborSchemas['UserGroup'];

/** Harbor's project member role ids. */
export const HarborRole = { ProjectAdmin: 1, Developer: 2, Guest: 3, Maintainer: 4, LimitedGuest: 5 } as const;
/** `member_group.group_type` of an OIDC group. */
export const OIDC_GROUP_TYPE = 3;

export interface HarborClientOptions {
  /** Harbor's base URL, without `/api/v2.0`. */
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Page<T> {
  items: T[];
  total: number;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Harbor wants repository names in paths URL-encoded twice (`a/b` → `a%252Fb`); openapi-fetch encodes once. */
const repo = (name: string) => encodeURIComponent(name);
const byName = { 'X-Is-Resource-Name': true } as const;

function idFromLocation(response: Response): number {
  const id = Number(response.headers.get('location')?.split('/').pop());
  if (!Number.isInteger(id)) throw new Error('Harbor answered 201 without a usable Location header');
  return id;
}

/** A typed Harbor API v2.0 client over openapi-fetch, for one Harbor instance. */
export function createHarborClient(opts: HarborClientOptions) {
  const timeoutMs = opts.timeoutMs ?? 8_000;
  const baseFetch = opts.fetch ?? fetch;
  const api = createClient<paths>({
    baseUrl: `${opts.baseUrl.replace(/\/+$/, '')}/api/v2.0`,
    headers: { authorization: `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}` },
    fetch: (request: Request) => baseFetch(request, { signal: AbortSignal.timeout(timeoutMs) }),
  });

  /** Awaits a call and turns anything but 2xx into a Temporal failure. */
  async function call<T>(operation: string, request: () => Promise<Result<T>>): Promise<{ data: T; response: Response }> {
    let result: Result<T>;
    try {
      result = await request();
    } catch (err) {
      throw harborNetworkFailure(operation, err);
    }
    if (!result.response.ok) throw harborFailure(operation, result.response, result.error);
    return { data: result.data as T, response: result.response };
  }

  const total = (response: Response, fallback: number) => Number(response.headers.get('x-total-count') ?? fallback);

  /** Every page of a paged list (Harbor caps page_size at 100). */
  async function all<T>(fetchPage: (page: number, pageSize: number) => Promise<Page<T>>, pageSize = 100): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const next = await fetchPage(page, pageSize);
      items.push(...next.items);
      if (next.items.length < pageSize || items.length >= next.total) return items;
    }
  }

  /** Every item of a list Harbor pages, page after page (a project can have more than 100 members or robots). */
  const everyPage = <T>(operation: string, request: (page: number, pageSize: number) => Promise<Result<T[]>>) =>
    all(async (page, pageSize) => {
      const { data, response } = await call(operation, () => request(page, pageSize));
      const items = data ?? [];
      return { items, total: total(response, (page - 1) * pageSize + items.length) };
    });

  const authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  /** Harbor's registry endpoint (/v2/ on the same host) for manifests and blobs. */
  async function registryGet(operation: string, path: string, accept?: string): Promise<unknown> {
    let res: Response;
    try {
      res = await baseFetch(`${opts.baseUrl.replace(/\/+$/, '')}/v2/${path}`, {
        headers: { authorization, ...(accept ? { accept } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw harborNetworkFailure(operation, err);
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) throw harborFailure(operation, res, body);
    return body;
  }

  return {
    api,
    all,
    /** The account this client uses: Harbor names it as the operator of what the service does. */
    username: opts.username,

    registry: {
      manifest: (repository: string, reference: string) =>
        registryGet('get manifest', `${repository}/manifests/${reference}`, 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'),
      blobJson: (repository: string, digest: string) => registryGet('get blob', `${repository}/blobs/${digest}`),
    },

    system: {
      ping: async () => (await call('ping', () => api.GET('/ping', { parseAs: 'text' }))).data as string,
      health: async () => (await call('health', () => api.GET('/health'))).data,
      info: async () => (await call('systeminfo', () => api.GET('/systeminfo'))).data,
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
      async list(query: { page?: number; pageSize?: number; name?: string } = {}): Promise<Page<HarborProject>> {
        const { data, response } = await call('list projects', () =>
          api.GET('/projects', { params: { query: { page: query.page ?? 1, page_size: query.pageSize ?? 100, name: query.name } } }),
        );
        return { items: data ?? [], total: total(response, data?.length ?? 0) };
      },
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
      async addUser(project: string, username: string, roleId: number): Promise<number> {
        const { response } = await call('add member', () =>
          api.POST('/projects/{project_name_or_id}/members', {
            params: { path: { project_name_or_id: project }, header: byName },
            body: { role_id: roleId, member_user: { username } },
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
        return { items: data ?? [], total: total(response, data?.length ?? 0) };
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
        query: { page?: number; pageSize?: number; withTag?: boolean; withLabel?: boolean; withScanOverview?: boolean; withAccessory?: boolean; q?: string } = {},
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
                q: query.q,
              },
            },
          }),
        );
        return { items: data ?? [], total: total(response, data?.length ?? 0) };
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
      async delete(project: string, repository: string, reference: string) {
        await call('delete artifact', () =>
          api.DELETE('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', { params: { path: { project_name: project, repository_name: repo(repository), reference } } }),
        );
      },
      async addTag(project: string, repository: string, reference: string, tag: string) {
        await call('create tag', () =>
          api.POST('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags', {
            params: { path: { project_name: project, repository_name: repo(repository), reference } },
            body: { name: tag },
          }),
        );
      },
      async deleteTag(project: string, repository: string, reference: string, tag: string) {
        await call('delete tag', () =>
          api.DELETE('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags/{tag_name}', {
            params: { path: { project_name: project, repository_name: repo(repository), reference, tag_name: tag } },
          }),
        );
      },
      async scan(project: string, repository: string, reference: string) {
        await call('scan artifact', () =>
          api.POST('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/scan', {
            params: { path: { project_name: project, repository_name: repo(repository), reference } },
          }),
        );
      },
      vulnerabilities: async (project: string, repository: string, reference: string) =>
        (await call('scan report', () =>
          api.GET('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/vulnerabilities', {
            params: { path: { project_name: project, repository_name: repo(repository), reference } },
          }),
        )).data,
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

    registries: {
      async create(body: HarborRegistry): Promise<number> {
        const { response } = await call('create registry', () => api.POST('/registries', { body }));
        return idFromLocation(response);
      },
      async ping(body: HarborSchemas['RegistryPing']) {
        await call('ping registry', () => api.POST('/registries/ping', { body }));
      },
      list: () => everyPage('list registries', (page, pageSize) => api.GET('/registries', { params: { query: { page, page_size: pageSize } } })),
    },

    replication: {
      async createPolicy(body: HarborReplicationPolicy): Promise<number> {
        const { response } = await call('create replication policy', () => api.POST('/replication/policies', { body }));
        return idFromLocation(response);
      },
      listPolicies: (name?: string) =>
        everyPage('list replication policies', (page, pageSize) => api.GET('/replication/policies', { params: { query: { name, page, page_size: pageSize } } })),
      async deletePolicy(id: number) {
        await call('delete replication policy', () => api.DELETE('/replication/policies/{id}', { params: { path: { id } } }));
      },
      async startExecution(policyId: number): Promise<number> {
        const { response } = await call('start replication', () => api.POST('/replication/executions', { body: { policy_id: policyId } }));
        return idFromLocation(response);
      },
      listExecutions: (policyId: number) =>
        everyPage('list replication executions', (page, pageSize) => api.GET('/replication/executions', { params: { query: { policy_id: policyId, page, page_size: pageSize } } })),
    },

    retention: {
      async create(body: HarborRetentionPolicy): Promise<number> {
        const { response } = await call('create retention policy', () => api.POST('/retentions', { body }));
        return idFromLocation(response);
      },
      get: async (id: number) => (await call('get retention policy', () => api.GET('/retentions/{id}', { params: { path: { id } } }))).data,
      async update(id: number, body: HarborRetentionPolicy) {
        await call('update retention policy', () => api.PUT('/retentions/{id}', { params: { path: { id } }, body }));
      },
      async delete(id: number) {
        await call('delete retention policy', () => api.DELETE('/retentions/{id}', { params: { path: { id } } }));
      },
    },

    userGroups: {
      async create(groupName: string): Promise<number> {
        const { response } = await call('create user group', () => api.POST('/usergroups', { body: { group_name: groupName, group_type: OIDC_GROUP_TYPE } }));
        return idFromLocation(response);
      },
      list: () => everyPage('list user groups', (page, pageSize) => api.GET('/usergroups', { params: { query: { page, page_size: pageSize } } })),
      async delete(id: number) {
        await call('delete user group', () => api.DELETE('/usergroups/{group_id}', { params: { path: { group_id: id } } }));
      },
    },
  };
}

export type HarborClient = ReturnType<typeof createHarborClient>;
