import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { expect } from 'vitest';
import { pushCosignSignature, pushModel, type RegistryAuth } from '../harbor/oci-push';
import { REPORT_MIME, simulatedScan } from '../harbor-emulator/scanner';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import type { TestStack } from '../support/stack';
import { workflowBundle } from '../support/workflow-bundle';

/** Severities the emulator's scanner derives from a digest that pass a project's default threshold (`high`). */
const PASSING = new Set(['None', 'Low', 'Medium']);

/** The severity the emulator's scanner will report for a digest. */
export const severityOf = (digest: string) => (simulatedScan(digest, '', '').overview as Record<string, { severity: string }>)[REPORT_MIME]!.severity;

export interface PushedVersion {
  tag: string;
  digest: string;
  severity: string;
}

let minor = 0;

/**
 * Pushes versions of `project/model` (1.<n>.0, n counting up) until the scanner's verdict for one
 * passes (or fails) the default threshold; then signs it if asked, scans it and waits until the
 * catalogue holds the tag, its completed scan and its signature.
 */
export async function pushVersion(stack: TestStack, project: string, model: string, opts: { passing: boolean; signed: boolean; scanned?: boolean; auth?: RegistryAuth }): Promise<PushedVersion> {
  const base = stack.harbor.emulator.url;
  let pushed: PushedVersion | undefined;
  for (let i = 0; i < 40 && !pushed; i++) {
    const tag = `1.${minor++}.0`;
    const { digest } = await pushModel(base, `${project}/${model}`, tag, { auth: opts.auth });
    const severity = severityOf(digest);
    if (PASSING.has(severity) === opts.passing) pushed = { tag, digest, severity };
  }
  if (!pushed) throw new Error('no digest with the wanted severity in 40 pushes');
  if (opts.signed) await pushCosignSignature(base, `${project}/${model}`, pushed.digest);
  // A scan's completion makes the catalogue read the artifact again (with its signature); without one, a refresh does.
  if (opts.scanned !== false) await stack.harbor.client.artifacts.scan(project, model, pushed.tag);
  else expect((await stack.app.request(`/api/v1/models/${project}/${model}`, { method: 'POST' })).status).toBe(200);
  const { digest } = pushed;
  await eventually(`the catalogue's ${project}/${model}:${pushed.tag} with its scan and signature`, async () => {
    const [row] = await stack.database.sql<{ tagged: boolean; scanned: boolean; signed: boolean }[]>`
      select exists (select 1 from modelregistry.tags t where t.image_id = i.id and t.name = ${pushed.tag} and not t.is_archived) as tagged,
             exists (select 1 from modelregistry.validation_results v where v.image_id = i.id and v.scan_status = 'Success') as scanned,
             exists (select 1 from modelregistry.signatures s where s.image_id = i.id) as signed
      from modelregistry.images i join modelregistry.repositories r on r.id = i.repository_id
      where i.digest = ${digest} and r.full_name = ${`${project}/${model}`} and not i.is_archived`;
    return row && row.tagged && row.scanned === (opts.scanned !== false) && row.signed === opts.signed;
  });
  return pushed;
}

/** A remote registry endpoint of `tenant` at `url` through the API (its 201 asserted); its name. */
export async function createRemote(stack: TestStack, tenant: string, name: string, url: string, credential?: { access_key: string; access_secret: string }): Promise<string> {
  const res = await stack.app.request('/api/v1/registries', jsonRequest({ name, tenant, type: 'docker-registry', url, ...(credential ? { credential } : {}) }));
  expect(res.status, await res.clone().text()).toBe(201);
  return name;
}

const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json';

const basic = (auth?: RegistryAuth): Record<string, string> => (auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {});

/** The digest a registry serves for `repository:tag` (HEAD), null when it serves none. */
export async function servedDigest(base: string, repository: string, tag: string, auth?: RegistryAuth): Promise<string | null> {
  const res = await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT, ...basic(auth) } });
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return res.headers.get('docker-content-digest');
}

/** Copies an artifact between two registries as `skopeo copy` would (blobs, then the manifest's own bytes): someone else's copy. */
export async function copyArtifact(from: string, fromRepository: string, to: string, toRepository: string, tag: string, toTag = tag, toAuth?: RegistryAuth): Promise<void> {
  const manifestRes = await fetch(`${from}/v2/${fromRepository}/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } });
  expect(manifestRes.status).toBe(200);
  const bytes = Buffer.from(await manifestRes.arrayBuffer());
  const manifest = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  for (const { digest } of [manifest.config, ...manifest.layers]) {
    const blob = Buffer.from(await (await fetch(`${from}/v2/${fromRepository}/blobs/${digest}`)).arrayBuffer());
    const start = await fetch(`${to}/v2/${toRepository}/blobs/uploads/`, { method: 'POST', headers: basic(toAuth) });
    const location = new URL(start.headers.get('location')!, to);
    location.searchParams.set('digest', digest);
    expect((await fetch(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...basic(toAuth) }, body: blob })).status).toBe(201);
  }
  const put = await fetch(`${to}/v2/${toRepository}/manifests/${toTag}`, { method: 'PUT', headers: { 'content-type': MANIFEST_ACCEPT, ...basic(toAuth) }, body: bytes });
  expect(put.status, await put.clone().text()).toBe(201);
}

/** A promotion request through the API with the given token (default: the platform administrator's). */
export const promote = (stack: TestStack, project: string, model: string, tag: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  stack.app.request(`/api/v1/models/${project}/${model}/versions/${tag}/promotions`, jsonRequest(body, headers));

export const approve = (stack: TestStack, project: string, model: string, tag: string, headers: Record<string, string> = {}, method = 'POST') =>
  stack.app.request(`/api/v1/models/${project}/${model}/versions/${tag}/approval`, { method, headers });

export const versionDetail = async (stack: TestStack, project: string, model: string, tag: string) => readJson(await stack.app.request(`/api/v1/models/${project}/${model}/versions/${tag}`));

/**
 * Replays the latest run of a workflow id against today's code; with `RECORD_HISTORIES=1` it is
 * written to test/histories/<file>, which test/workflows/replay.test.ts replays with every other.
 */
export async function replayAndRecord(stack: TestStack, workflowId: string, file: string): Promise<void> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId)).resolves.toBeUndefined();
  if (process.env.RECORD_HISTORIES === '1') writeFileSync(new URL(`../histories/${file}`, import.meta.url), historyToJSON(history));
}
