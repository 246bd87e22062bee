/**
 * Promotion of a large model version between two real OCI registries, against a plain streamed copy
 * of the same blobs between the same kind of registries in the same run (the ratio is the figure
 * that transfers between machines), and the peak RSS of the worker and of the emulator (Harbor's
 * job service here, which does the copy) during the promotion: both must stay flat, as the copy
 * streams.
 *
 *   npm run bench:promotion -- [megabytes=200] [layers=4]
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pushBlob, pushCosignSignature, type PushedBlob } from '../test/harbor/oci-push';
import { REPORT_MIME, simulatedScan } from '../test/harbor-emulator/scanner';
import { startOciRegistry } from '../test/servers/oci-registry';
import { createHarborAdminClient } from '../test/support/harbor-admin';
import { startBench } from './harness';

const megabytes = Number(process.argv[2] ?? 200);
const layerCount = Number(process.argv[3] ?? 4);
const project = 'bench-promo';
const model = 'llm';
const tag = '1.0.0';
const auth = { username: 'promoter', password: randomBytes(12).toString('hex') };
const basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
/** Peak resident set of a process since its counters were last reset (kB → MiB). */
const peakMiB = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/** Resets a process's peak RSS (Linux clear_refs 5), so the peak read later is this phase's. */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** Copies a manifest and its blobs between registries, each blob streamed from GET into PUT. */
async function plainCopy(from: string, repository: string, to: string, toRepository: string) {
  const manifestRes = await fetch(`${from}/v2/${repository}/manifests/${tag}`, { headers: { accept: MANIFEST } });
  const manifest = Buffer.from(await manifestRes.arrayBuffer());
  const { config, layers } = JSON.parse(manifest.toString('utf8')) as { config: PushedBlob; layers: PushedBlob[] };
  for (const blob of [config, ...layers]) {
    const source = await fetch(`${from}/v2/${repository}/blobs/${blob.digest}`);
    const start = await fetch(`${to}/v2/${toRepository}/blobs/uploads/`, { method: 'POST', headers: { authorization: basic } });
    const location = new URL(start.headers.get('location')!, to);
    location.searchParams.set('digest', blob.digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { authorization: basic, 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: source.body,
      duplex: 'half',
    } as RequestInit);
    if (put.status !== 201) throw new Error(`plain copy of ${blob.digest}: ${put.status}`);
  }
  const put = await fetch(`${to}/v2/${toRepository}/manifests/${tag}`, { method: 'PUT', headers: { authorization: basic, 'content-type': MANIFEST }, body: manifest });
  if (put.status !== 201) throw new Error(`plain copy of the manifest: ${put.status}`);
}

async function servedDigest(base: string, repository: string) {
  const res = await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST, authorization: basic } });
  return res.headers.get('docker-content-digest');
}

const bench = await startBench({ worker: true, webhooksToApi: true });
const [plainRemote, promotionRemote] = await Promise.all([startOciRegistry({ auth }), startOciRegistry({ auth })]);
try {
  await bench.project(project);
  const harborAdmin = createHarborAdminClient({ baseUrl: bench.harbor.url, username: bench.harbor.username, password: bench.harbor.password, timeoutMs: 30_000 });
  const repository = `${project}/${model}`;

  // The version: a ModelPack config and `layerCount` random weight layers, pushed through Harbor.
  const layerBytes = Math.floor((megabytes * 1024 * 1024) / layerCount);
  const config = await pushBlob(bench.harbor.url, repository, Buffer.from(JSON.stringify({ descriptor: { name: model }, config: { format: 'safetensors' } })), 'application/vnd.cncf.model.config.v1+json');
  const layers: PushedBlob[] = [];
  for (let i = 0; i < layerCount; i++) {
    layers.push(await pushBlob(bench.harbor.url, repository, randomBytes(layerBytes), 'application/vnd.cncf.model.weight.v1.raw', { 'org.cncf.model.filepath': `model-${i}.safetensors` }));
  }
  // The emulator's scanner derives a severity from the digest: an annotation picks a manifest that passes the default threshold (high).
  let manifest = '';
  for (let n = 0; ; n++) {
    manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, artifactType: 'application/vnd.cncf.model.manifest.v1+json', config, layers, annotations: { 'bench.nonce': String(n) } });
    const severity = (simulatedScan(sha256(manifest), '', '').overview as Record<string, { severity: string }>)[REPORT_MIME]!.severity;
    if (['None', 'Low', 'Medium'].includes(severity)) break;
  }
  const put = await fetch(`${bench.harbor.url}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': MANIFEST }, body: manifest });
  if (put.status !== 201) throw new Error(`manifest push: ${put.status} ${await put.text()}`);
  const digest = put.headers.get('docker-content-digest')!;
  await pushCosignSignature(bench.harbor.url, repository, digest);
  await harborAdmin.artifacts.scan(project, model, tag);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [row] = await bench.database.sql<{ ready: boolean }[]>`
      select exists (select 1 from modelregistry.validation_results v where v.image_id = i.id and v.scan_status = 'Success')
         and exists (select 1 from modelregistry.signatures s where s.image_id = i.id) as ready
      from modelregistry.images i join modelregistry.repositories r on r.id = i.repository_id
      where i.digest = ${digest} and r.full_name = ${repository} and not i.is_archived`;
    if (row?.ready) break;
    if (Date.now() > deadline) throw new Error('the version was not catalogued with its scan and signature within 2 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  const approved = await bench.call('POST', `/api/v1/models/${project}/${model}/versions/${tag}/approval`);
  if (approved.status !== 200) throw new Error(`approval: ${approved.status} ${await approved.text()}`);
  const remote = await bench.call('POST', '/api/v1/registries', { name: 'prod', type: 'docker-registry', url: promotionRemote.url, credential: { access_key: auth.username, access_secret: auth.password } });
  if (remote.status !== 201) throw new Error(`remote registry: ${remote.status} ${await remote.text()}`);

  // Baseline: the same blobs copied plainly, registry to registry, streamed.
  const plainStarted = performance.now();
  await plainCopy(bench.registryUrl, repository, plainRemote.url, `released/${model}`);
  const plainMs = performance.now() - plainStarted;
  if ((await servedDigest(plainRemote.url, `released/${model}`)) !== digest) throw new Error('the plain copy does not serve the digest');

  const pids = { worker: bench.workerPid!, emulator: bench.harbor.pid };
  const before = { worker: peakMiB(pids.worker), emulator: peakMiB(pids.emulator) };
  resetPeak(pids.worker);
  resetPeak(pids.emulator);
  const promotionStarted = performance.now();
  const res = await bench.call('POST', `/api/v1/models/${project}/${model}/versions/${tag}/promotions`, { registry: 'prod', namespace: 'released' });
  if (res.status === 202) {
    // Longer than the API's wait: the operation resource says when it has finished.
    const location = res.headers.get('location')!;
    for (;;) {
      const op = (await (await bench.call('GET', location)).json()) as { status: string };
      if (op.status === 'completed') break;
      if (op.status !== 'running') throw new Error(`promotion: ${JSON.stringify(op)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } else if (res.status !== 200) {
    throw new Error(`promotion: ${res.status} ${await res.text()}`);
  }
  const promotionMs = performance.now() - promotionStarted;
  if ((await servedDigest(promotionRemote.url, `released/${model}`)) !== digest) throw new Error('the promoted version is not served with its digest');
  const peak = { worker: peakMiB(pids.worker), emulator: peakMiB(pids.emulator) };

  bench.record('promotion', {
    modelMiB: megabytes,
    layers: layerCount,
    plainCopyMs: Math.round(plainMs),
    promotionMs: Math.round(promotionMs),
    ratio: Number((promotionMs / plainMs).toFixed(2)),
    peakRssMiB: { worker: Math.round(peak.worker), emulator: Math.round(peak.emulator) },
    rssBeforeMiB: { worker: Math.round(before.worker), emulator: Math.round(before.emulator) },
  });
} finally {
  await Promise.all([plainRemote.stop(), promotionRemote.stop()]);
  await bench.stop();
}
