import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BadRequestSchema } from '../../gen/google/rpc/error_details_pb';
import type { Operation } from '../../gen/modelregistry/v1/operations_pb';
import { PullTokenSchema } from '../../gen/modelregistry/v1/pull_tokens_pb';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { createTenant, startStackWithTenant } from '../support/fixtures';
import { grpcClients } from '../support/grpc';
import { jsonRequest, readJson, type Json } from '../support/http';
import { readTopic } from '../support/kafka';
import { uniqueName, type TestStack } from '../support/stack';
import type { OciRegistry } from '../servers/oci-registry';
import { createUpstream, createVirtualRegistry, ensureTool, runTool, sha256, startMirroredModel, type pushTitledModel } from './pull-support';
import { historyText } from '../support/histories';
import { workflowBundle } from '../support/workflow-bundle';
import { pullTokenWorkflowId } from '../../lib/workflow-ids';

const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`ci:${token}`).toString('base64')}` });

/** Pull tokens (issue #16): a credential of the pull endpoint that only pulls, does not expire in an hour, and is shown once. */
describe('pull tokens of the virtual registries', () => {
  let stack: TestStack;
  let tenant: string;
  let host: string;
  let mirror: OciRegistry;
  let registry: string;
  let repository: string;
  let model: Awaited<ReturnType<typeof pushTitledModel>>;
  /** Every token this file was shown, to look for in logs, histories and events. */
  const shown: string[] = [];

  const tokens = (path = '') => `/api/v1/tenants/${tenant}/pull-tokens${path}`;
  const manifestPath = () => `/v2/${tenant}/${registry}/${repository}/manifests/1.2.0`;
  const pull = (token: string, path = manifestPath()) => fetch(`http://${host}${path}`, { headers: basic(token) });
  async function createToken(body: Record<string, unknown>, inTenant = tenant): Promise<Json> {
    const res = await stack.app.request(`/api/v1/tenants/${inTenant}/pull-tokens`, jsonRequest(body));
    const created = await readJson(res);
    expect(res.status, JSON.stringify(created)).toBe(201);
    shown.push(created.token);
    return created;
  }

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant({ listen: true, captureLogs: true }));
    host = stack.apiUrl!.replace(/^http:\/\//, '');
    ({ mirror, repository, model, registry } = await startMirroredModel(stack, tenant));
  }, 300_000);
  afterAll(async () => {
    await mirror?.stop();
    await stack?.close();
  });

  it('creates a token shown once, pulls with it through oras and skopeo (same bytes and digest), and never shows it again', async () => {
    const [oras, skopeo] = await Promise.all([ensureTool('oras'), ensureTool('skopeo')]);
    const name = uniqueName('ci');
    const created = await createToken({ name, description: 'CI pulls' });
    expect(created).toMatchObject({ tenant, name, description: 'CI pulls', virtualRegistries: null, createdBy: expect.any(String), expiresAt: null, revokedAt: null, lastUsedAt: null });
    expect(created.token).toMatch(/^mrpt_[A-Za-z0-9_-]{43}$/);
    const { token } = created;

    const work = mkdtempSync(join(tmpdir(), 'pull-token-'));
    try {
      const ref = `${host}/${tenant}/${registry}/${repository}:1.2.0`;
      const out = join(work, 'oras');
      await runTool(oras, ['pull', '--plain-http', '-u', 'ci', '-p', token, '-o', out, ref]);
      for (const [file, data] of Object.entries(model.files)) expect(readFileSync(join(out, file)).equals(data)).toBe(true);
      const layout = join(work, 'layout');
      await runTool(skopeo, ['copy', '--insecure-policy', '--src-tls-verify=false', '--src-creds', `ci:${token}`, `docker://${ref}`, `oci:${layout}:1.2.0`]);
      const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      expect(index.manifests.map((m) => m.digest)).toEqual([model.digest]);
      const weights = model.layers[0]!.digest;
      expect(sha256(readFileSync(join(layout, 'blobs', 'sha256', weights.slice(7))))).toBe(weights);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    // As Bearer too; /v2/ answers 200 with it.
    expect((await fetch(`http://${host}${manifestPath()}`, { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`http://${host}/v2/`, { headers: basic(token) })).status).toBe(200);

    const got = await readJson(await stack.app.request(tokens(`/${name}`)));
    expect(got).toMatchObject({ name, virtualRegistries: null, revokedAt: null });
    expect(got.token).toBeUndefined();
    expect(Date.now() - Date.parse(got.lastUsedAt)).toBeLessThan(60_000);
    const listed = await stack.app.request(tokens('?limit=200'));
    const text = await listed.text();
    expect(JSON.parse(text).items.map((t: { name: string }) => t.name)).toContain(name);
    expect(text).not.toContain(token);
    // Only its sha256 is stored.
    const [row] = await stack.database.sql<{ token_hash: Buffer }[]>`select token_hash from modelregistry.pull_tokens where tenant_id = ${tenant} and name = ${name}`;
    expect(`sha256:${row!.token_hash.toString('hex')}`).toBe(sha256(token));
    // A pull token only pulls: the REST API does not take it.
    expect((await stack.app.raw.request(tokens(), { headers: bearer(token) })).status).toBe(401);
  });

  it('shows a token whose create answered 202 to the same request retried with its Idempotency-Key, and to no other caller or request', async () => {
    const name = uniqueName('later');
    const key = { 'idempotency-key': `key-${name}` };
    // Too short a wait for the workflow: the create answers 202, without the token.
    const accepted = await stack.appWith({ mutationWaitMs: 0 }).request(tokens(), jsonRequest({ name }, key));
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    const operation = await readJson(accepted);
    expect(operation).not.toHaveProperty('token');

    // The same request, once more with the same key: the run's answer, with the token, which pulls.
    const retried = await stack.app.request(tokens(), jsonRequest({ name }, key));
    expect(retried.status).toBe(201);
    expect(retried.headers.get('x-operation-id')).toBe(operation.id);
    const { token } = await readJson(retried);
    expect(token).toMatch(/^mrpt_/);
    shown.push(token);
    expect((await pull(token)).status).toBe(200);

    // The same caller's key with another body is no retry: 422 naming the header.
    const reused = await stack.app.request(tokens(), jsonRequest({ name, description: 'another' }, key));
    expect(reused.status).toBe(422);
    expect(await readJson(reused)).toMatchObject({ type: 'https://model-registry.dev/problems/idempotency-key-reused', errors: [{ field: 'header.idempotency-key' }] });
    // Keys are the caller's: another caller's same body and key is a request of its own (the name is taken), never this one's answer.
    const other = await stack.auth.token({ username: uniqueName('eve'), roles: ['platform-admin'] });
    const stolen = await stack.app.request(tokens(), jsonRequest({ name }, { ...key, ...bearer(other) }));
    expect(stolen.status).toBe(409);
    expect(await stolen.text()).not.toContain(token);
  });

  it('notes the last use at most once a minute', async () => {
    const name = uniqueName('used');
    const { token } = await createToken({ name });
    const lastUsed = async () =>
      (await stack.database.sql<{ at: string | null; seconds: number | null }[]>`
        select last_used_at::text as at, extract(epoch from now() - last_used_at)::float8 as seconds from modelregistry.pull_tokens where tenant_id = ${tenant} and name = ${name}`)[0]!;
    expect((await lastUsed()).at).toBeNull();
    expect((await pull(token)).status).toBe(200);
    const first = await lastUsed();
    expect(first.seconds).toBeLessThan(30);
    expect((await pull(token)).status).toBe(200);
    expect((await lastUsed()).at).toBe(first.at); // within the minute: not written
    await stack.database.sql`update modelregistry.pull_tokens set last_used_at = now() - interval '2 minutes' where tenant_id = ${tenant} and name = ${name}`;
    expect((await pull(token)).status).toBe(200);
    expect((await lastUsed()).seconds).toBeLessThan(30);
  });

  it('refuses a revoked token at the next pull in every API process, and frees its name', async () => {
    const name = uniqueName('revoked');
    const { token } = await createToken({ name });
    // Another API process on the same database: nothing of the token kept in memory there either.
    const other = stack.appWith({});
    const otherPull = () => other.raw.request(manifestPath(), { headers: basic(token) });
    expect((await pull(token)).status).toBe(200);
    expect((await otherPull()).status).toBe(200);

    const revoked = await stack.app.request(tokens(`/${name}`), { method: 'DELETE' });
    const body = await readJson(revoked);
    expect(revoked.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ name, revokedAt: expect.any(String) });
    expect(body.token).toBeUndefined();
    for (const res of [await pull(token), await otherPull()]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="model-registry"');
      expect((await readJson(res)).errors[0]).toMatchObject({ code: 'UNAUTHORIZED', message: `the token is not accepted: pull token "${name}" was revoked` });
    }
    expect((await stack.app.request(tokens(`/${name}`))).status).toBe(404);
    expect((await stack.app.request(tokens(`/${name}`), { method: 'DELETE' })).status).toBe(404);
    expect((await readJson(await stack.app.request(tokens('?limit=200')))).items.map((t: { name: string }) => t.name)).not.toContain(name);
    // The name is free again; the new token is another.
    const again = await createToken({ name });
    expect(again.token).not.toBe(token);
    expect((await pull(again.token)).status).toBe(200);
    expect((await pull(token)).status).toBe(401);
  });

  it('replays a create and a revoke recorded just now', async () => {
    const name = uniqueName('replay');
    await createToken({ name, durationDays: 30, virtualRegistries: [registry] });
    expect((await stack.app.request(tokens(`/${name}`), { method: 'DELETE' })).status).toBe(200);
    const workflowId = pullTokenWorkflowId(tenant, name);
    const runs = new Map<string, string>();
    // Listed from visibility, a moment behind the runs.
    await eventually('both runs listed', async () => {
      for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.set(wf.type, wf.runId);
      return runs.size === 2;
    });
    expect([...runs.keys()].sort()).toEqual(['pullTokenCreateWorkflow', 'pullTokenRevokeWorkflow']);
    for (const [type, file] of [['pullTokenCreateWorkflow', 'pull-token-create.json'], ['pullTokenRevokeWorkflow', 'pull-token-revoke.json']] as const) {
      const history = await stack.client.workflow.getHandle(workflowId, runs.get(type)).fetchHistory();
      await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId)).resolves.toBeUndefined();
      // Committed, test/workflows/replay.test.ts replays it against every later change of the code.
      if (process.env.RECORD_HISTORIES === '1') writeFileSync(new URL(`../histories/${file}`, import.meta.url), historyToJSON(history));
    }
  });

  it('refuses an expired token, and one it never issued', async () => {
    const name = uniqueName('short');
    const created = await createToken({ name, durationDays: 1 });
    const days = (Date.parse(created.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(0.99);
    expect(days).toBeLessThanOrEqual(1);
    expect((await pull(created.token)).status).toBe(200);
    // A day passing, as the database's clock sees it.
    await stack.database.sql`update modelregistry.pull_tokens set expires_at = now() - interval '1 second' where tenant_id = ${tenant} and name = ${name}`;
    const expired = await pull(created.token);
    expect(expired.status).toBe(401);
    expect((await readJson(expired)).errors[0].message).toBe(`the token is not accepted: pull token "${name}" has expired`);
    // Still listed (expired, not revoked) until someone revokes it.
    expect((await readJson(await stack.app.request(tokens(`/${name}`)))).expiresAt).not.toBeNull();

    const forged = await pull(`mrpt_${'A'.repeat(43)}`);
    expect(forged.status).toBe(401);
    expect((await readJson(forged)).errors[0].message).toBe('the token is not accepted: no such pull token');
  });

  it('limits a token to its virtual registries (403 elsewhere in the tenant) and to its tenant (404 in another, as for a JWT)', async () => {
    const second = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: mirror.url })]);
    const limited = await createToken({ name: uniqueName('only'), virtualRegistries: [second] });
    expect(limited.virtualRegistries).toEqual([second]);
    expect((await pull(limited.token, `/v2/${tenant}/${second}/${repository}/manifests/1.2.0`)).status).toBe(200);
    for (const elsewhere of [registry, uniqueName('ghost')]) {
      // The same answer whether the registry exists or not.
      const denied = await pull(limited.token, `/v2/${tenant}/${elsewhere}/${repository}/manifests/1.2.0`);
      expect(denied.status).toBe(403);
      expect((await readJson(denied)).errors[0]).toEqual({ code: 'DENIED', message: `pull token "${limited.name}" may pull only from virtual registries ${second} of tenant ${tenant}` });
    }
    // A registry deleted leaves the list: one made again under its name is not the one the token was given.
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries/${second}`, { method: 'DELETE' })).status).toBe(200);
    expect((await readJson(await stack.app.request(tokens(`/${limited.name}`)))).virtualRegistries).toEqual([]);
    expect((await pull(limited.token, `/v2/${tenant}/${second}/${repository}/manifests/1.2.0`)).status).toBe(403);

    // Another tenant's token, on this tenant's registry: not even told it exists.
    const other = await createTenant(stack);
    await createVirtualRegistry(stack, other, [await createUpstream(stack, other, { url: mirror.url })]);
    const outsider = await createToken({ name: uniqueName('outsider') }, other);
    const hidden = await pull(outsider.token);
    expect(hidden.status).toBe(404);
    expect((await readJson(hidden)).errors[0]).toEqual({ code: 'NAME_UNKNOWN', message: `no virtual registry "${registry}" in tenant ${tenant}` });
  });

  it('answers bad input with a 400 naming the field, a taken name with 409', async () => {
    const other = await createTenant(stack);
    const theirs = await createVirtualRegistry(stack, other, []);
    const ok = uniqueName('ok');
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'Bad Name' }, 'body.name'],
      [{ name: '-ci' }, 'body.name'],
      [{ name: 'ci..x' }, 'body.name'],
      [{ name: 'a'.repeat(256) }, 'body.name'],
      [{ name: ok, description: 'd'.repeat(1025) }, 'body.description'],
      [{ name: ok, durationDays: 0 }, 'body.durationDays'],
      [{ name: ok, durationDays: 3651 }, 'body.durationDays'],
      [{ name: ok, durationDays: 1.5 }, 'body.durationDays'],
      [{ name: ok, virtualRegistries: [] }, 'body.virtualRegistries'],
      [{ name: ok, virtualRegistries: [registry, registry] }, 'body.virtualRegistries.1'],
      [{ name: ok, virtualRegistries: [registry, uniqueName('ghost')] }, 'body.virtualRegistries.1'],
      // Another tenant's registry is no registry of this one.
      [{ name: ok, virtualRegistries: [theirs] }, 'body.virtualRegistries.0'],
      [{ name: ok, token: 'mrpt_chosen' }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await stack.app.request(tokens(), jsonRequest(body));
      const problem = await readJson(res);
      expect([JSON.stringify(body).slice(0, 80), res.status], JSON.stringify(problem)).toEqual([JSON.stringify(body).slice(0, 80), 400]);
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await stack.app.request(tokens(`/${ok}`))).status).toBe(404);

    const name = uniqueName('taken');
    await createToken({ name });
    const taken = await stack.app.request(tokens(), jsonRequest({ name }));
    expect(taken.status).toBe(409);
    expect(JSON.stringify(await readJson(taken))).not.toContain('mrpt_');
    expect((await stack.app.request(`/api/v1/tenants/${uniqueName('nobody')}/pull-tokens`, jsonRequest({ name }))).status).toBe(404);
  });

  it('creates, lists, gets and revokes over gRPC through the same service layer', async () => {
    const rpc = grpcClients(stack);
    const name = uniqueName('grpc');
    const op: Operation = await rpc.pullTokens.createPullToken({ tenant, name, durationDays: 30, virtualRegistries: [registry] });
    expect(op.done).toBe(true);
    const created = op.result.case === 'response' ? anyUnpack(op.result.value, PullTokenSchema) : undefined;
    expect(created).toMatchObject({ tenant, name, virtualRegistries: [registry], allVirtualRegistries: false });
    expect(created!.token).toMatch(/^mrpt_/);
    shown.push(created!.token);
    expect((await pull(created!.token)).status).toBe(200);

    const listed = await rpc.pullTokens.listPullTokens({ tenant, pageSize: 200 });
    const mine = listed.pullTokens.find((t) => t.name === name)!;
    expect(mine).toMatchObject({ virtualRegistries: [registry], allVirtualRegistries: false, token: '' });
    expect((await rpc.pullTokens.getPullToken({ tenant, pullToken: name })).token).toBe('');
    const all = await rpc.pullTokens.createPullToken({ tenant, name: uniqueName('grpc-all') });
    const everywhere = all.result.case === 'response' ? anyUnpack(all.result.value, PullTokenSchema) : undefined;
    expect(everywhere).toMatchObject({ virtualRegistries: [], allVirtualRegistries: true });
    shown.push(everywhere!.token);

    const bad = await rpc.pullTokens.createPullToken({ tenant, name: 'Bad Name', durationDays: 0 }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(bad?.code).toBe(Code.InvalidArgument);
    expect(bad!.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field)).sort()).toEqual(['duration_days', 'name']);

    const deleted = await rpc.pullTokens.deletePullToken({ tenant, pullToken: name });
    const revoked = deleted.result.case === 'response' ? anyUnpack(deleted.result.value, PullTokenSchema) : undefined;
    expect(revoked?.revokedAt).toBeDefined();
    expect((await pull(created!.token)).status).toBe(401);
    expect((await rpc.pullTokens.listPullTokens({ tenant, pageSize: 200 })).pullTokens.map((t) => t.name)).not.toContain(name);
  });

  describe('the tokens shown', () => {
    const expectAbsent = (where: string, text: string) => {
      expect(shown.length).toBeGreaterThan(5);
      for (const token of shown) expect(text.includes(token), `${where} holds a pull token`).toBe(false);
      // Not the random part alone either (a token re-encoded, say).
      for (const token of shown) expect(text.includes(token.slice(5)), `${where} holds a pull token's secret part`).toBe(false);
    };

    it('are in no workflow history: the create workflows carry them only sealed', async () => {
      let histories = 0;
      let sealed = 0;
      // Listed from visibility, a moment behind the runs.
      await eventually('every create listed', async () => {
        [histories, sealed] = [0, 0];
        for await (const wf of stack.client.workflow.list({ query: `TaskQueue = "${stack.taskQueue}" AND WorkflowType = "pullTokenCreateWorkflow"` })) {
          const history = historyText(await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
          expectAbsent(`history of ${wf.workflowId}`, history);
          // The payloads' JSON inside the history's JSON: quotes escaped.
          if (/sealedSecret\\*"\s*:\s*\\*"v1:/.test(history)) sealed++;
          histories++;
        }
        return sealed >= shown.length;
      });
      // Each token shown came from one completed run; the refused ones (400, 409) made none.
      expect(sealed).toBe(shown.length);
      expect(histories).toBeGreaterThan(sealed);
    });

    it('are in no log line of the API or the worker, which did log the pulls', () => {
      const logs = stack.logs.join('\n');
      expect(logs).toContain(`/v2/${tenant}/${registry}/`);
      expect(logs).toContain('/pull-tokens');
      expectAbsent('logs', logs);
    });

    it('are in no event, and the events say what happened', async () => {
      const records = await readTopic(inject('kafkaBootstrap'), stack.topic, {
        what: 'the pull token events',
        until: (read) => read.filter((r) => r.value.includes('"modelregistry.pull_token.created"')).length >= shown.length && read.some((r) => r.value.includes('"modelregistry.pull_token.revoked"')),
      });
      const events = records.map((r) => JSON.parse(r.value) as { type: string; subject: string; data: { pullToken: Record<string, unknown> } }).filter((e) => e.type.startsWith('modelregistry.pull_token.'));
      expect(events.filter((e) => e.type === 'modelregistry.pull_token.created')).toHaveLength(shown.length);
      expect(events.every((e) => /^tenants\/[^/]+\/pull-tokens\/[^/]+$/.test(e.subject) && Object.keys(e.data.pullToken).every((k) => k !== 'token' && k !== 'tokenHash'))).toBe(true);
      expectAbsent('kafka', JSON.stringify(records));
    });
  });
});
