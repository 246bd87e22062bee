import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { createTenant } from '../support/fixtures';
import { jsonRequest, readJson } from '../support/http';
import { keycloakAdminClient } from '../support/keycloak';
import { startStandInWorker } from '../support/stand-in-worker';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/**
 * A user create whose add-to-tenant fails for good after Keycloak made the account (and, here, after
 * the add itself went through: its answer lost, then refused): the account is undone rather than
 * left outside the tenant, where it could be neither removed through the tenant nor created again.
 */
describe('a user create that fails after the account was made', () => {
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof startStandInWorker>>;
  let kc: Awaited<ReturnType<typeof keycloakAdminClient>>;
  let tenant: string;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    kc = await keycloakAdminClient();
    const activities = { ...createActivities(stack.deps) };
    const real = activities.addKeycloakUserToTenant;
    activities.addKeycloakUserToTenant = async (...args) => {
      await real(...args);
      throw ApplicationFailure.nonRetryable('Keycloak refused the group membership', 'KeycloakRefused');
    };
    // A `raced-` user is made by someone else between the workflow's look and its create.
    const create = activities.createKeycloakUser;
    activities.createKeycloakUser = async (user) => {
      if (user.username.startsWith('raced-')) await kc.users.create({ username: user.username, email: `other-${user.email}`, enabled: true });
      return create(user);
    };
    worker = await startStandInWorker(stack, activities);
    tenant = await createTenant(stack);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await stack?.close();
  });

  it('deletes the account it made and says so, so that the same user can be created again', async () => {
    const username = uniqueName('half');
    const res = await stack.app.request(`/api/v1/tenants/${tenant}/users`, jsonRequest({ username, email: `${username}@users.example`, role: 'developer' }));
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(502);
    expect(body).toMatchObject({ failedStep: 'add-to-tenant', compensated: ['create-account'], notCompensated: [] });
    expect((await kc.users.find({ username, exact: true })).filter((u) => u.username === username)).toEqual([]);
    // An account someone else holds is left alone: made before the create started, so not this run's.
    const kept = uniqueName('kept');
    await kc.users.create({ username: kept, email: `${kept}@users.example`, enabled: true });
    const undo = createActivities(stack.deps).deleteKeycloakUserCreatedSince;
    expect(await undo(tenant, kept, Date.now() + 60_000)).toBe(false);
    expect((await kc.users.find({ username: kept, exact: true })).filter((u) => u.username === kept)).toHaveLength(1);
  });

  it("leaves an account someone else made after the run's look: its create did not make it", async () => {
    const username = uniqueName('raced');
    const res = await stack.app.request(`/api/v1/tenants/${tenant}/users`, jsonRequest({ username, email: `${username}@users.example`, role: 'developer' }));
    expect(res.status, JSON.stringify(await readJson(res.clone()))).toBe(502);
    const [account] = (await kc.users.find({ username, exact: true })).filter((u) => u.username === username);
    expect(account?.email).toBe(`other-${username}@users.example`);
  });
});
