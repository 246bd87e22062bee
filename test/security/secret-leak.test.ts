import { readdirSync, readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { inject } from 'vitest';
import { projects, robotAccounts } from '../../db/schema';
import { pushModel } from '../harbor/oci-push';
import { jsonRequest } from '../support/http';
import { readTopic } from '../support/kafka';
import { KEYCLOAK_CLIENTS } from '../support/keycloak';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { historyText } from '../support/histories';

/**
 * No secret (robot secret, webhook Authorization header, Keycloak client secret, bearer token) in
 * clear anywhere but the one-time reveal: not in logs (API and worker), other API
 * answers, Kafka events, Temporal workflow histories (live and the recorded ones) or the database.
 */
describe('secrets stay sealed', () => {
  let stack: TestStack;
  const tenant = uniqueName('leak');
  const project = uniqueName('leak');
  let robotSecret: string;
  let webhookHeader: string;

  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true, captureLogs: true });
    await createTenant(stack, { name: tenant });
    robotSecret = (await onboardProject(stack, tenant, { name: project, robot: true })).body.robot.secret;
    const [row] = await stack.database.db.select({ webhookSecret: projects.webhookSecret }).from(projects).where(eq(projects.name, project));
    webhookHeader = stack.deps.secrets.open(row!.webhookSecret!);
    // Membership runs the Keycloak admin activities with the service's client secret.
    expect((await stack.app.request(`/api/v1/projects/${project}/members`, jsonRequest({ members: { developer: ['carol'] } }, {}, 'PUT'))).status).toBe(200);
    // A push makes Harbor call the receiver with the webhook secret in its Authorization header.
    await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    await eventually('the pushed model in the catalogue', async () => (await stack.app.request(`/api/v1/models/${project}/llama`)).status === 200, { timeoutMs: 20_000, intervalMs: 200 });
  }, 120_000);
  afterAll(() => stack?.close());

  const secrets = () => {
    expect(robotSecret.length).toBeGreaterThan(8);
    expect(webhookHeader.length).toBeGreaterThan(8);
    // The header may carry a scheme; its random part is what must not leak.
    return [robotSecret, webhookHeader.replace(/^\w+\s+/, ''), KEYCLOAK_CLIENTS.admin.secret, stack.auth.adminToken];
  };
  const expectClean = (where: string, text: string) => {
    for (const secret of secrets()) expect(text.includes(secret), `${where} holds a secret in clear`).toBe(false);
  };

  it('keeps them out of the logs, which did record the requests and the worker', () => {
    const logs = stack.logs.join('\n');
    expect(logs).toContain('/api/v1/webhooks/harbor');
    expect(logs).toContain('/api/v1/projects');
    expectClean('logs', logs);
  });

  it('keeps them out of every later answer about the project', async () => {
    for (const path of [`/api/v1/projects/${project}`, `/api/v1/projects?tenantId=${tenant}`, `/api/v1/projects/${project}/models`, `/api/v1/models/${project}/llama`, `/api/v1/models/${project}/llama/audit`]) {
      const res = await stack.app.request(path);
      expect(res.status, path).toBe(200);
      expectClean(path, await res.text());
    }
  });

  it('keeps them out of the Kafka events', async () => {
    const records = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: '2 records',
      until: (read) => read.length >= 2,
      never: { what: 'a secret in a later record', check: (read) => expectClean('kafka', JSON.stringify(read)), forMs: 1000 },
    });
    expect(records.length).toBeGreaterThan(0);
    expectClean('kafka', JSON.stringify(records));
  });

  it('keeps them out of the workflow histories of this stack', async () => {
    let histories = 0;
    let sealed = 0;
    for await (const wf of stack.client.workflow.list({ query: `TaskQueue = "${stack.taskQueue}"` })) {
      const history = historyText(await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
      expectClean(`history of ${wf.workflowId}`, history);
      // The payloads were read: onboarding's result carries the robot's secret sealed (quotes escaped in the history's JSON).
      if (/\\*"v1:/.test(history)) sealed++;
      histories++;
    }
    expect(histories).toBeGreaterThan(1);
    expect(sealed).toBeGreaterThan(0);
  });

  it('stores them only sealed', async () => {
    const [robot] = await stack.database.db.select({ secret: robotAccounts.secret }).from(robotAccounts).innerJoin(projects, eq(projects.id, robotAccounts.projectId)).where(eq(projects.name, project));
    expect(robot!.secret).toMatch(/^v1:/);
    const [row] = await stack.database.db.select({ webhookSecret: projects.webhookSecret }).from(projects).where(eq(projects.name, project));
    expect(row!.webhookSecret).toMatch(/^v1:/);
  });

  it('finds only sealed values under secret-like keys in the recorded replay histories', () => {
    const dir = new URL('../histories/', import.meta.url);
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      // Payloads are base64 JSON inside the history: decode them and look at secret-like fields.
      const decoded = [...text.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
      for (const payload of decoded) {
        for (const m of payload.matchAll(/"(\w*[sS]ecret\w*|authHeader|auth_header)"\s*:\s*"([^"]*)"/g)) {
          expect(m[2], `${file}: ${m[1]}`).toMatch(/^(v1:|$)/);
          checked++;
        }
      }
    }
    expect(checked, 'the recorded onboarding history carries the sealed robot secret').toBeGreaterThan(0);
  });
});
