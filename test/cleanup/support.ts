import { expect } from 'vitest';
import { pushModel } from '../harbor/oci-push';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson, type Json } from '../support/http';
import type { TestStack } from '../support/stack';

/** Pushes `project/model:tag` for each tag (real pushes to the emulator's registry); their digests by tag. */
export async function pushVersions(stack: TestStack, project: string, model: string, tags: string[]): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const tag of tags) digests[tag] = (await pushModel(stack.harbor.emulator.url, `${project}/${model}`, tag)).digest;
  return digests;
}

/** Refreshes the project's catalogue from Harbor and waits until it holds every `model:tag` given live. */
export async function catalogued(stack: TestStack, project: string, versions: string[]): Promise<void> {
  expect((await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' })).status).toBeLessThan(300);
  await eventually(`the catalogue's ${versions.join(', ')}`, async () => liveVersions(stack, project).then((live) => versions.every((v) => live.includes(v))));
}

/** The catalogue's live `model:tag`s of a project. */
export async function liveVersions(stack: TestStack, project: string): Promise<string[]> {
  const rows = await stack.database.sql<{ v: string }[]>`
    select m.name || ':' || t.name as v from modelregistry.tags t join modelregistry.images i on i.id = t.image_id join modelregistry.models m on m.id = i.model_id
    join modelregistry.projects p on p.id = m.project_id
    where p.name = ${project} and not t.is_archived and not i.is_archived and not m.is_archived order by v`;
  return rows.map((r) => r.v);
}

/** Harbor's `model:tag`s of a project (untagged artifacts as `model@digest`). */
export async function harborVersions(stack: TestStack, project: string): Promise<string[]> {
  const client = stack.harbor.client;
  const repos = await client.all((page, pageSize) => client.repositories.list(project, { page, pageSize }));
  const out: string[] = [];
  for (const repo of repos) {
    const model = repo.name!.slice(project.length + 1);
    for (const a of await client.all((page, pageSize) => client.artifacts.list(project, model, { page, pageSize }))) {
      if ((a.tags ?? []).length === 0) out.push(`${model}@${a.digest}`);
      for (const t of a.tags ?? []) out.push(`${model}:${t.name}`);
    }
  }
  return out.sort();
}

export const putPolicy = (stack: TestStack, project: string, policy: object) => stack.app.request(`/api/v1/projects/${project}/cleanup/policy`, jsonRequest(policy, {}, 'PUT'));

/** Starts a run (its 202 asserted); the run. */
export async function startRun(stack: TestStack, project: string, body: object = {}): Promise<Json> {
  const res = await stack.app.request(`/api/v1/projects/${project}/cleanup/runs`, jsonRequest(body));
  const run = await readJson(res);
  expect(res.status, JSON.stringify(run)).toBe(202);
  return run;
}

export const getRun = async (stack: TestStack, project: string, id: string): Promise<Json> => readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/runs/${id}`));

/** Waits until the run's row has one of `statuses`; the run. */
export const runReaches = (stack: TestStack, project: string, id: string, ...statuses: string[]): Promise<Json> =>
  eventually(`cleanup run ${id} ${statuses.join(' or ')}`, async () => {
    const run = await getRun(stack, project, id);
    return statuses.includes(run.status) && run;
  }, { timeoutMs: 60_000 });

/** `model:tag` (or `model@digest`) of report entries, sorted. */
export const versionsOf = (entries: { model: string; tag: string | null; digest: string }[]) => entries.map((e) => (e.tag === null ? `${e.model}@${e.digest}` : `${e.model}:${e.tag}`)).sort();
