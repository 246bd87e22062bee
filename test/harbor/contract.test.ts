import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponseValidator } from '../harbor-emulator/validate';
import { startHarbor, type HarborTestbed } from '../support/harbor';
import { uniqueName } from '../support/stack';
import { pushModel } from './oci-push';

describe('emulator contract with Harbor\'s API definition', () => {
  const validate = createResponseValidator();
  let h: HarborTestbed;
  beforeAll(async () => {
    h = await startHarbor();
  });
  afterAll(() => h.stop());

  it('a sample of recorded emulator responses validates against the definition', async () => {
    const project = uniqueName('contract');
    await h.client.projects.create({ project_name: project, storage_limit: 1024 ** 3 });
    await h.client.members.addGroup(project, 'contract-devs', 2);
    await pushModel(h.emulator.url, `${project}/m`, '1.0.0');
    const samples: [string, number, unknown][] = [
      ['getProject', 200, await h.client.projects.get(project)],
      ['listProjects', 200, (await h.client.projects.list()).items],
      ['getProjectSummary', 200, await h.client.projects.summary(project)],
      ['listProjectMembers', 200, await h.client.members.list(project)],
      ['listRepositories', 200, (await h.client.repositories.list(project)).items],
      ['listArtifacts', 200, (await h.client.artifacts.list(project, 'm', { withScanOverview: true, withAccessory: true, withLabel: true })).items],
      ['getSystemInfo', 200, await h.client.system.info()],
      ['getHealth', 200, await h.client.system.health()],
    ];
    for (const [operationId, status, body] of samples) expect(validate(operationId, status, body), operationId).toBeNull();
    expect(h.emulator.violations).toEqual([]);
  });

  it('fails an emulator response that drifts from the definition', () => {
    expect(validate('getProject', 200, { project_id: 'not-a-number', name: 'x' })?.errors).toMatch(/project_id must be integer/);
    expect(validate('listArtifacts', 200, [{ digest: 42 }])?.errors).toMatch(/digest must be string/);
    expect(validate('getProject', 404, { errors: [{ code: 1 }] })?.errors).toMatch(/code must be string/);
    expect(validate('createProject', 299, {})?.errors).toMatch(/not declared/);
  });

  it('in strict mode turns a drifting answer into a failed request and records it', async () => {
    const project = uniqueName('drift');
    await h.client.projects.create({ project_name: project });
    // Corrupt the emulator's own state so that its next answer breaks the schema.
    const state = h.emulator.state.projects.get(project)!;
    (state.project as Record<string, unknown>).project_id = 'broken';
    const res = await h.client.api.GET('/projects/{project_name_or_id}', { params: { path: { project_name_or_id: project }, header: { 'X-Is-Resource-Name': true } } });
    expect(res.response.status).toBe(500);
    expect(h.emulator.violations).toEqual([expect.objectContaining({ operationId: 'getProject', status: 200 })]);
    h.emulator.violations.length = 0;
    h.emulator.state.projects.delete(project);
  });
});
