import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonRequest, readJson } from '../support/http';
import { onboardProject, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';
import { catalogued, harborVersions, pushVersions, putPolicy, runReaches, startRun, versionsOf } from './support';

const DAY = 24 * 3600_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/**
 * The end to end: a project of ~30 versions across three models, real pushes, ages set by
 * the emulator's clock (push and pull times as Harbor reports them) and by real pulls; every rule
 * at once, the candidates as expected with the rule that selects each, and a real run that
 * removes exactly those from Harbor.
 */
describe('cleanup: every rule on aged versions', () => {
  let stack: TestStack;
  let tenant: string;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
  }, 120_000);
  afterAll(() => stack?.close());

  it('selects by semver line, pre-release, pull age (a real pull counts), untagged age and archived model (whose latest release is not protected), and a run removes exactly that', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('ages') });
    const emulator = stack.harbor.emulator;
    /** Ages the artifacts of `tags` (tag → digest) and those tags themselves, as Harbor would report them. */
    const age = async (model: string, tags: Record<string, string>, times: { pushed: number; pulled?: number }) => {
      for (const [tag, digest] of Object.entries(tags)) {
        emulator.setArtifactTimes(`${project}/${model}`, digest, { pushTime: ago(times.pushed), ...(times.pulled === undefined ? {} : { pullTime: ago(times.pulled) }), tags: { [tag]: { pushTime: ago(times.pushed) } } });
      }
    };
    // llm: 1.0.0 … 1.10.0 (1.10.0 is newer than 1.9.0), 2.0.0, 2.1.0, an old superseded 2.1.0-rc.1, a fresh 3.0.0-beta.1 with no release.
    const llmReleases = ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.6.0', '1.7.0', '1.8.0', '1.9.0', '1.10.0', '2.0.0', '2.1.0'];
    const llm = await pushVersions(stack, project, 'llm', [...llmReleases, '2.1.0-rc.1', '3.0.0-beta.1']);
    await age('llm', llm, { pushed: 40, pulled: 1 });
    // vision: five releases pushed 60 days ago; 0.1.0 and 0.2.0 not pulled for 45 days, 0.3.0 never, 0.4.0 and 0.5.0 lately (0.5.0 by a real pull).
    const vision = await pushVersions(stack, project, 'vision', ['0.1.0', '0.2.0', '0.3.0', '0.4.0', '0.5.0']);
    await age('vision', { '0.1.0': vision['0.1.0']!, '0.2.0': vision['0.2.0']! }, { pushed: 60, pulled: 45 });
    await age('vision', { '0.3.0': vision['0.3.0']! }, { pushed: 60 });
    await age('vision', { '0.4.0': vision['0.4.0']! }, { pushed: 60, pulled: 2 });
    await age('vision', { '0.5.0': vision['0.5.0']! }, { pushed: 60 });
    const pulled = await fetch(`${emulator.url}/v2/${project}/vision/manifests/0.5.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(pulled.status).toBe(200);
    await pulled.arrayBuffer();
    // retired: three versions of a model the catalogue archived 10 days ago.
    await pushVersions(stack, project, 'retired', ['1.0.0', '1.1.0', '1.2.0']);
    // scratch: an artifact whose only tag went two days ago (untagged), and a fresh one.
    const scratch = await pushVersions(stack, project, 'scratch', ['tmp-old', 'tmp-new', '1.0.0']);
    await age('scratch', { 'tmp-old': scratch['tmp-old']! }, { pushed: 2 });
    await stack.harbor.client.tags.delete(project, 'scratch', scratch['tmp-old']!, 'tmp-old');
    await stack.harbor.client.tags.delete(project, 'scratch', scratch['tmp-new']!, 'tmp-new');

    await catalogued(stack, project, ['llm:1.10.0', 'llm:3.0.0-beta.1', 'vision:0.5.0', 'retired:1.2.0', 'scratch:1.0.0']);
    await stack.database.sql`update modelregistry.models set is_archived = true, deleted_at = now() - interval '10 days'
      where name = 'retired' and project_id = (select id from modelregistry.projects where name = ${project})`;

    const policy = {
      mode: 'automatic',
      rules: [
        { kind: 'keep_newest', count: 2, per: 'major', models: 'llm' },
        { kind: 'prereleases', olderThanDays: 7 },
        { kind: 'not_pulled', days: 30, models: 'vision' },
        { kind: 'untagged', olderThanHours: 24 },
        { kind: 'archived_models', afterDays: 7 },
      ],
    };
    expect((await putPolicy(stack, project, policy)).status).toBe(200);
    const report = await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/candidates?limit=100`));
    const expected = [
      // keep_newest 2 per major: 1.x keeps 1.10.0 and 1.9.0; 2.x keeps 2.1.0 and 2.0.0.
      ...['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.6.0', '1.7.0', '1.8.0'].map((t) => `llm:${t}`),
      'llm:2.1.0-rc.1',
      'retired:1.0.0',
      'retired:1.1.0',
      'retired:1.2.0',
      `scratch@${scratch['tmp-old']}`,
      'vision:0.1.0',
      'vision:0.2.0',
      'vision:0.3.0',
    ].sort();
    expect(versionsOf(report.items)).toEqual(expected);
    const rule = (v: string) => report.items.find((c: { model: string; tag: string | null }) => `${c.model}:${c.tag}` === v).selectedBy.map((s: { kind: string }) => s.kind);
    expect(rule('llm:1.8.0')).toEqual(['keep_newest']);
    expect(rule('llm:2.1.0-rc.1')).toEqual(['prereleases']);
    expect(rule('vision:0.3.0')).toEqual(['not_pulled']);
    expect(rule('retired:1.2.0')).toEqual(['archived_models']);
    // Kept by no rule: 1.9.0, 1.10.0, 2.0.0, 2.1.0, 3.0.0-beta.1 (no release yet), the fresh untagged artifact, vision 0.4.0 and 0.5.0 (pulled lately).
    expect(report.totals).toMatchObject({ candidates: expected.length });
    expect(report.items.every((c: { action: string }) => c.action === 'delete')).toBe(true);

    const run = await startRun(stack, project, { dryRun: false });
    const done = await runReaches(stack, project, run.id, 'succeeded', 'failed');
    expect(done.status, JSON.stringify(done.summary)).toBe('succeeded');
    const left = await harborVersions(stack, project);
    expect(left).toEqual(
      [
        'llm:1.9.0', 'llm:1.10.0', 'llm:2.0.0', 'llm:2.1.0', 'llm:3.0.0-beta.1',
        'scratch:1.0.0', `scratch@${scratch['tmp-new']}`,
        'vision:0.4.0', 'vision:0.5.0',
      ].sort(),
    );
    const inline = await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/candidates`, jsonRequest(policy)));
    expect(inline.totals.candidates).toBe(0);
  });
});
