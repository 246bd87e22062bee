import { createHarborClient, OIDC_GROUP_TYPE, type HarborClientOptions, type HarborSchemas } from '../../activities/harbor';
import { byName, createHarborTransport, idFromLocation, repo, totalCount, type Page } from '../../activities/harbor/transport';

export type { HarborRegistry, HarborReplicationPolicy } from '../../activities/harbor';
export type HarborRetentionPolicy = HarborSchemas['RetentionPolicy'];
export type HarborUserGroup = HarborSchemas['UserGroup'];

/** Harbor's project member role ids. */
export const HarborRole = { ProjectAdmin: 1, Developer: 2, Guest: 3, Maintainer: 4, LimitedGuest: 5 } as const;

/**
 * The activities' Harbor client plus the calls only tests make: they drive Harbor (or the emulator)
 * as an administrator would (system, listing projects, user members, tags, scans,
 * retention, user groups) and reach the raw typed API. Same transport as the activities'.
 */
export function createHarborAdminClient(opts: HarborClientOptions) {
  const client = createHarborClient(opts);
  const { api, call, everyPage } = createHarborTransport(opts);

  return {
    ...client,
    api,

    system: {
      ping: async () => (await call('ping', () => api.GET('/ping', { parseAs: 'text' }))).data as string,
      health: async () => (await call('health', () => api.GET('/health'))).data,
      info: async () => (await call('systeminfo', () => api.GET('/systeminfo'))).data,
    },

    projects: {
      ...client.projects,
      async list(query: { page?: number; pageSize?: number; name?: string } = {}): Promise<Page<HarborSchemas['Project']>> {
        const { data, response } = await call('list projects', () =>
          api.GET('/projects', { params: { query: { page: query.page ?? 1, page_size: query.pageSize ?? 100, name: query.name } } }),
        );
        return { items: data ?? [], total: totalCount(response, data?.length ?? 0) };
      },
    },

    members: {
      ...client.members,
      async addUser(project: string, username: string, roleId: number): Promise<number> {
        const { response } = await call('add member', () =>
          api.POST('/projects/{project_name_or_id}/members', {
            params: { path: { project_name_or_id: project }, header: byName },
            body: { role_id: roleId, member_user: { username } },
          }),
        );
        return idFromLocation(response);
      },
    },

    artifacts: {
      ...client.artifacts,
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

    retention: {
      ...client.retention,
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

export type HarborAdminClient = ReturnType<typeof createHarborAdminClient>;
