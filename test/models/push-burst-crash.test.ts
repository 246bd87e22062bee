import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { pushModel } from '../harbor/oci-push';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { spawnWorker } from '../support/worker-process';

const PUSHES = 200;
const REPOSITORIES = ['llama', 'bert', 'vit', 'whisper'];

/** 200 real pushes whose webhooks reach the receiver while the only worker is SIGKILLed and replaced. */
describe('a worker killed during a burst of pushes', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true, worker: false });
  });
  afterAll(() => stack?.close());

  it('loses nothing and doubles nothing: every tag once in the catalogue, every delivery dispatched', async () => {
    const worker = await spawnWorker(stack.workerEnv);
    const tenant = uniqueName('burst');
    const project = uniqueName('burst');
    await createTenant(stack, { name: tenant });
    await onboardProject(stack, tenant, { name: project });

    const pushes = Array.from({ length: PUSHES }, (_, i) => ({ repository: REPOSITORIES[i % REPOSITORIES.length]!, tag: `1.0.${Math.floor(i / REPOSITORIES.length)}` }));
    let done = 0;
    let killed = false;
    const next = async (): Promise<void> => {
      const push = pushes.shift();
      if (!push) return;
      await pushModel(stack.harbor.emulator.url, `${project}/${push.repository}`, push.tag);
      done++;
      // A third of the way in, the worker dies without a chance to finish anything.
      if (!killed && done >= PUSHES / 3) {
        killed = true;
        worker.kill();
      }
      return next();
    };
    await Promise.all(Array.from({ length: 8 }, next));
    expect(killed).toBe(true);
    await stack.harbor.emulator.webhooks.idle();
    await stack.startWorker();

    const live = async () =>
      (
        await stack.database.sql`
          select count(*)::int as tags, count(distinct i.digest)::int as digests
          from modelregistry.tags t join modelregistry.images i on i.id = t.image_id
          join modelregistry.repositories r on r.id = i.repository_id join modelregistry.projects p on p.id = r.project_id
          where p.name = ${project} and not t.is_archived and not i.is_archived`
      )[0] as { tags: number; digests: number };
    await eventually(`all ${PUSHES} tags in the catalogue`, async () => (await live()).tags >= PUSHES, { timeoutMs: 150_000, intervalMs: 250 });
    expect(await live()).toEqual({ tags: PUSHES, digests: PUSHES });

    // No row twice: one image per digest, one tag per (image, name), one model per repository.
    const [dupes] = await stack.database.sql`
      select
        (select count(*) from (select i.digest from modelregistry.images i join modelregistry.repositories r on r.id = i.repository_id join modelregistry.projects p on p.id = r.project_id where p.name = ${project} group by i.repository_id, i.digest having count(*) > 1) d)::int as images,
        (select count(*) from (select t.image_id, t.name from modelregistry.tags t join modelregistry.images i on i.id = t.image_id join modelregistry.repositories r on r.id = i.repository_id join modelregistry.projects p on p.id = r.project_id where p.name = ${project} group by t.image_id, t.name having count(*) > 1) d)::int as tags,
        (select count(*) from modelregistry.models m join modelregistry.projects p on p.id = m.project_id where p.name = ${project})::int as models`;
    expect(dupes).toEqual({ images: 0, tags: 0, models: REPOSITORIES.length });
    const [inbox] = await stack.database.sql`
      select count(*)::int as pushes, count(*) filter (where dispatched_at is null)::int as undispatched
      from modelregistry.webhook_events where source = ${`harbor:${stack.registry}`} and event_type = 'PUSH_ARTIFACT' and payload::text like ${`%"namespace": "${project}"%`}`;
    expect(inbox).toEqual({ pushes: PUSHES, undispatched: 0 });
  }, 240_000);
});
