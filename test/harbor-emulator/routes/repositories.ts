import type { Context, Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { readRepository, toArtifact, type ArtifactOptions } from '../artifacts';
import { badRequest, conflict, type EmulatorContext, notFound, now, operation, paged } from '../context';
import { deleteArtifact, immutableTagError } from '../deletion';
import { isImmutable } from '../immutable';
import { simulatedScan } from '../scanner';
import type { ProjectState } from '../state';
import type { EventData } from '../webhooks';
import { project } from './projects';

const truthy = (v: string | undefined, fallback: boolean) => (v === undefined ? fallback : v === 'true');

/** The Default/CloudEvents `repository` object of a webhook. */
export function eventRepository(p: ProjectState, fullName: string, created: string): EventData['repository'] {
  return {
    date_created: Math.floor(Date.parse(created) / 1000),
    name: fullName.slice(p.project.name!.length + 1),
    namespace: p.project.name!,
    repo_full_name: fullName,
    repo_type: p.project.metadata?.public === 'true' ? 'public' : 'private',
  };
}

export function emitArtifactEvent(ctx: EmulatorContext, p: ProjectState, type: string, fullName: string, resources: Record<string, unknown>[], extra: Partial<EventData> = {}, operator = 'admin') {
  const repo = ctx.state.repository(fullName, p.project.project_id!, now());
  ctx.webhooks.emit({ id: p.project.project_id!, policies: p.webhookPolicies }, type, operator, {
    resources,
    repository: eventRepository(p, fullName, repo.creationTime),
    ...extra,
  });
}

/**
 * The part of Harbor's `q` the artifact list honours here: `tags=nil` (untagged only) and `tags=*`
 * (tagged only), as src/pkg/artifact/dao builds them; other keys are not filtered on.
 */
function tagQuery(q: string | undefined): (a: { tags: string[] }) => boolean {
  const tags = /(?:^|,)tags=([^,]*)/.exec(q ?? '')?.[1];
  if (tags === 'nil') return (a) => a.tags.length === 0;
  if (tags === '*') return (a) => a.tags.length > 0;
  return () => true;
}

export function repositoryRoutes(app: Hono, ctx: EmulatorContext) {
  // Harbor takes repository names URL-encoded twice; Hono decoded once.
  const repoName = (c: Context, p: ProjectState) => `${p.project.name}/${decodeURIComponent(c.req.param('repository_name') ?? '')}`;
  const repositoriesOf = async (p: ProjectState) => {
    const names = (await ctx.oci.repositories()).filter((r) => r.startsWith(`${p.project.name}/`));
    const live = [];
    for (const name of names) {
      const { artifacts } = await readRepository(ctx, name);
      if (artifacts.length > 0) live.push({ name, count: artifacts.length });
    }
    return live;
  };
  const toRepository = (p: ProjectState, name: string, count: number): HarborSchemas['Repository'] => {
    const r = ctx.state.repository(name, p.project.project_id!, now());
    return { id: r.id, project_id: r.projectId, name, description: r.description, artifact_count: count, pull_count: r.pullCount, creation_time: r.creationTime, update_time: r.updateTime };
  };
  const options = (c: Context, defaults: boolean): ArtifactOptions => ({
    withTag: truthy(c.req.query('with_tag'), true),
    withLabel: truthy(c.req.query('with_label'), false),
    withScanOverview: truthy(c.req.query('with_scan_overview'), defaults),
    withAccessory: truthy(c.req.query('with_accessory'), defaults),
  });
  const findArtifact = async (c: Context) => {
    const p = project(ctx, c);
    const name = repoName(c, p);
    const contents = await readRepository(ctx, name);
    const reference = c.req.param('reference') ?? '';
    const entry = contents.artifacts.find((a) => a.manifest.digest === reference || a.tags.includes(reference));
    if (!entry) throw notFound(`artifact ${name}:${reference} not found`);
    return { p, name, contents, entry };
  };

  const repoBase = '/projects/:project_name/repositories';
  app.get(repoBase, operation(ctx, 'listRepositories', async (c) => {
    const p = project(ctx, c);
    const repos = (await repositoriesOf(p)).map((r) => toRepository(p, r.name, r.count));
    return paged(c, repos.sort((a, b) => (b.update_time ?? '').localeCompare(a.update_time ?? '')));
  }));

  app.get(`${repoBase}/:repository_name`, operation(ctx, 'getRepository', async (c) => {
    const p = project(ctx, c);
    const name = repoName(c, p);
    const { artifacts } = await readRepository(ctx, name);
    if (artifacts.length === 0) throw notFound(`repository ${name} not found`);
    return { status: 200, body: toRepository(p, name, artifacts.length) };
  }));

  app.put(`${repoBase}/:repository_name`, operation(ctx, 'updateRepository', async (c) => {
    const p = project(ctx, c);
    const name = repoName(c, p);
    if ((await readRepository(ctx, name)).artifacts.length === 0) throw notFound(`repository ${name} not found`);
    const body = (await c.req.json()) as HarborSchemas['Repository'];
    const r = ctx.state.repository(name, p.project.project_id!, now());
    r.description = body.description ?? '';
    r.updateTime = now();
    return { status: 200 };
  }));

  app.delete(`${repoBase}/:repository_name`, operation(ctx, 'deleteRepository', async (c) => {
    const p = project(ctx, c);
    const name = repoName(c, p);
    const contents = await readRepository(ctx, name);
    if (contents.artifacts.length === 0) throw notFound(`repository ${name} not found`);
    for (const a of contents.artifacts) await deleteArtifact(ctx, p, name, a, contents);
    ctx.state.repositories.delete(name);
    ctx.state.changed(name);
    return { status: 200 };
  }));

  const artBase = `${repoBase}/:repository_name/artifacts`;
  app.get(artBase, operation(ctx, 'listArtifacts', async (c) => {
    const p = project(ctx, c);
    const name = repoName(c, p);
    const contents = await readRepository(ctx, name);
    const opts = options(c, false);
    const selected = contents.artifacts.filter(tagQuery(c.req.query('q')));
    return paged(c, selected.map((a) => toArtifact(ctx, p.project, name, a, contents.accessories, opts)));
  }));

  app.get(`${artBase}/:reference`, operation(ctx, 'getArtifact', async (c) => {
    const { p, name, contents, entry } = await findArtifact(c);
    return { status: 200, body: toArtifact(ctx, p.project, name, entry, contents.accessories, options(c, false)) };
  }));

  app.delete(`${artBase}/:reference`, operation(ctx, 'deleteArtifact', async (c) => {
    const { p, name, contents, entry } = await findArtifact(c);
    await deleteArtifact(ctx, p, name, entry, contents);
    return { status: 200 };
  }));

  app.get(`${artBase}/:reference/tags`, operation(ctx, 'listTags', async (c) => {
    const { p, name, contents, entry } = await findArtifact(c);
    return paged(c, toArtifact(ctx, p.project, name, entry, contents.accessories, { withTag: true, withLabel: false, withScanOverview: false, withAccessory: false }).tags ?? []);
  }));

  app.post(`${artBase}/:reference/tags`, operation(ctx, 'createTag', async (c) => {
    const { name, contents, entry } = await findArtifact(c);
    const { name: tag } = (await c.req.json()) as { name?: string };
    if (!tag || !/^[\w][\w.-]{0,127}$/.test(tag)) throw badRequest(`invalid tag name ${tag}`);
    if (contents.artifacts.some((a) => a.tags.includes(tag))) throw conflict(`tag ${tag} already exists on ${name}`);
    const raw = await ctx.oci.rawManifest(name, entry.manifest.digest);
    if (!raw) throw notFound(`artifact ${entry.manifest.digest} not found`);
    await ctx.oci.putManifest(name, tag, raw);
    ctx.state.deletedTags.delete(`${name}:${tag}`);
    ctx.state.tagPushTimes.set(`${name}:${tag}`, ctx.clock.now());
    ctx.state.changed(name);
    return { status: 201, headers: { location: `/api/v2.0/projects/${c.req.param('project_name')}/repositories/${c.req.param('repository_name')}/artifacts/${entry.manifest.digest}/tags/${tag}` } };
  }));

  app.delete(`${artBase}/:reference/tags/:tag_name`, operation(ctx, 'deleteTag', async (c) => {
    const { p, name, entry } = await findArtifact(c);
    const tag = c.req.param('tag_name') ?? '';
    if (!entry.tags.includes(tag)) throw notFound(`tag ${tag} attached to artifact ${ctx.state.artifact(name, entry.manifest.digest, now()).id} not found`);
    if (isImmutable(ctx.state, p.project.project_id!, name, tag)) throw immutableTagError(tag, 'deleted');
    ctx.state.deletedTags.add(`${name}:${tag}`);
    ctx.state.tagPullTimes.delete(`${name}:${tag}`);
    ctx.state.changed(name);
    return { status: 200 };
  }));

  app.get(`${artBase}/:reference/accessories`, operation(ctx, 'listAccessories', async (c) => {
    const { p, name, contents, entry } = await findArtifact(c);
    return paged(c, toArtifact(ctx, p.project, name, entry, contents.accessories, { withTag: false, withLabel: false, withScanOverview: false, withAccessory: true }).accessories ?? []);
  }));

  app.post(`${artBase}/:reference/scan`, operation(ctx, 'scanArtifact', async (c) => {
    const { p, name, entry } = await findArtifact(c);
    const known = ctx.state.artifact(name, entry.manifest.digest, now());
    const start = now();
    // The scanner works asynchronously, as Harbor's job service does: 202 now, report and webhook later.
    setTimeout(() => {
      const { overview } = simulatedScan(entry.manifest.digest, start, now());
      known.scanOverview = overview;
      emitArtifactEvent(ctx, p, 'SCANNING_COMPLETED', name, [{ digest: entry.manifest.digest, tag: entry.tags[0] ?? '', resource_url: `${ctx.registryAddress()}/${name}:${entry.tags[0] ?? entry.manifest.digest}`, scan_overview: overview }], { scan: { scan_type: 'vulnerability' } });
    }, ctx.scanDelayMs);
    return { status: 202 };
  }));

  app.get(`${artBase}/:reference/additions/vulnerabilities`, operation(ctx, 'getVulnerabilitiesAddition', async (c) => {
    const { name, entry } = await findArtifact(c);
    const known = ctx.state.artifact(name, entry.manifest.digest, now());
    if (!known.scanOverview) return { status: 200, body: {} };
    const first = Object.values(known.scanOverview)[0] as { start_time: string; end_time: string };
    return { status: 200, body: simulatedScan(entry.manifest.digest, first.start_time, first.end_time).report };
  }));
}
