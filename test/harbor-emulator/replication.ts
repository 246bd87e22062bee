import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HarborSchemas } from '../../activities/harbor';
import { readRepository } from './artifacts';
import { type EmulatorContext, now } from './context';
import { doublestarMatch } from './doublestar';
import type { Descriptor, Manifest } from './oci';
import { type RegistryClient, registryClient, type RegistryEndpoint } from './registry-client';
import type { ReplicationExecutionState, ReplicationTaskState } from './state';

type Policy = HarborSchemas['ReplicationPolicy'];
type Registry = HarborSchemas['Registry'];
type TaskStatus = 'Pending' | 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
export type ReplicationTrigger = 'manual' | 'event_based' | 'scheduled';

export interface ReplicationOptions {
  /** Tries per blob (Harbor's COPY_BLOB_RETRY_COUNT, 5). */
  blobRetries: number;
  /** The wait after the first failed try, doubled after each (Harbor: 2 s). */
  retryBackoffMs: number;
  /** Chunk size of a policy's `copy_by_chunk` uploads (Harbor's REPLICATION_CHUNK_SIZE, 10 MiB). */
  chunkSize: number;
  /**
   * When the job service runs a failed task's job again, one wait per retry. Harbor's replication
   * job may fail 3 times (`MaxFails`), retried after gocraft/work's back-off (at least 16 s, then
   * 31 s): a Failed execution goes back to InProgress meanwhile.
   */
  jobRetryDelaysMs: number[];
}

export const DEFAULT_REPLICATION_OPTIONS: ReplicationOptions = { blobRetries: 5, retryBackoffMs: 2000, chunkSize: 10 * 1024 * 1024, jobRetryDelaysMs: [16_000, 31_000] };

/** The user Harbor's job service writes to the local registry as (src/common/secret: `JobserviceUser`). */
export const JOBSERVICE_USER = 'harbor-jobservice';

/**
 * One artifact to copy: its tags, or its digest when it has none; labels for the label filter. An
 * accessory (a signature) carries its subject's tags and labels, which the filters match instead.
 */
interface SourceArtifact {
  digest?: string;
  tags: string[];
  labels: string[];
  parentTags?: string[];
}

/** A repository and the artifacts of it to copy: Harbor's unit of a task. */
interface Resource {
  repository: string;
  artifacts: SourceArtifact[];
}

/** What the tasks of one execution share. */
interface Job {
  execution: ReplicationExecutionState;
  policy: Policy;
  remote: Registry;
  src: RegistryClient;
  dst: RegistryClient;
  signal: AbortSignal;
}

/** Harbor's job statuses, as its REPLICATION webhook reports a task's (the API shows converted ones). */
const JOB_STATUS: Record<TaskStatus, string> = { Pending: 'Pending', InProgress: 'Running', Succeed: 'Success', Failed: 'Error', Stopped: 'Stopped' };
/** Harbor's execution triggers, as its REPLICATION webhook reports them (src/pkg/task/model.go). */
const TRIGGER_TYPE: Record<string, string> = { manual: 'MANUAL', event_based: 'EVENT', scheduled: 'SCHEDULE' };
/** Harbor writes a zero time where a time is not set yet (Go's zero `strfmt.DateTime`). */
export const ZERO_TIME = '0001-01-01T00:00:00.000Z';
const FOREIGN_LAYER = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';

const filterOf = (policy: Policy, type: string) => (policy.filters ?? []).find((f) => f.type === type && f.value !== undefined && f.value !== '');

/** Harbor's repository filter: the name pattern against the full source repository name (no decoration). */
function nameMatches(policy: Policy, repository: string): boolean {
  const filter = filterOf(policy, 'name');
  return !filter || doublestarMatch(String(filter.value), repository);
}

/** Harbor's tag then label filters (src/pkg/reg/filter/artifact.go): only the matching tags of an artifact are kept. */
function filterArtifacts(policy: Policy, artifacts: SourceArtifact[]): SourceArtifact[] {
  let kept = artifacts;
  const tag = filterOf(policy, 'tag');
  if (tag) {
    const pattern = String(tag.value);
    const keep = (name: string) => doublestarMatch(pattern, name) !== (tag.decoration === 'excludes');
    kept = kept.flatMap((a) => {
      const matched = a.parentTags ?? a.tags;
      if (matched.length === 0) return keep('') ? [a] : [];
      const tags = matched.filter(keep);
      if (tags.length === 0) return [];
      // An accessory goes with all of its own tags; an artifact with the matching ones only.
      return a.parentTags ? [a] : [{ ...a, tags }];
    });
  }
  const label = filterOf(policy, 'label');
  if (label) {
    const wanted = (Array.isArray(label.value) ? label.value : [label.value]).map(String);
    kept = kept.filter((a) => wanted.every((l) => a.labels.includes(l)) !== (label.decoration === 'excludes'));
  }
  return kept;
}

/** Harbor's destination repository name (src/controller/replication/flow/stage.go `replaceNamespace`). */
function replaceNamespace(repository: string, namespace: string, replaceCount: number): string {
  if (!namespace) return repository;
  const parts = repository.split('/');
  const name = parts[parts.length - 1]!;
  if (replaceCount < 0) return `${namespace}/${name}`;
  if (replaceCount > parts.length - 1) {
    throw new Error(`the source repository "${repository}" contains only ${parts.length - 1} path components [${parts.slice(0, -1).join(' ')}] excepting the last one, but the destination namespace flattening level is ${replaceCount}`);
  }
  return [namespace, ...parts.slice(replaceCount, -1), name].join('/');
}

/** Harbor's name of a task's resource (flow/stage.go `getResourceName`). */
const resourceName = (repository: string, artifacts: SourceArtifact[]) =>
  `${repository} [${artifacts.reduce((n, a) => n + Math.max(a.tags.length, 1), 0)} item(s) in total]`;

/** What a blob upload sends when the fault is armed: the first half of it, then an error, as a dropped connection. */
function breakMidway(body: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        if (sent >= size / 2) controller.error(new Error('injected fault: the connection broke halfway through the blob upload'));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/** Harbor's per-blob speed limit (src/lib/iothrottler.go): `speed` Kb/s (128 bytes/s each), a 1000 KiB burst. */
function throttle(body: ReadableStream<Uint8Array>, speed: number): ReadableStream<Uint8Array> {
  const burst = 1000 * 1024;
  const bytesPerMs = (speed * 128) / 1000;
  let tokens = burst;
  let last = Date.now();
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        const at = Date.now();
        tokens = Math.min(burst, tokens + (at - last) * bytesPerMs) - chunk.byteLength;
        last = at;
        if (tokens < 0) await sleep(-tokens / bytesPerMs);
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Harbor's replication, run in the emulator as Harbor's job service runs it: an execution lists
 * what the policy's filters select on the source, makes one task per repository, and each task
 * copies its artifacts through the OCI distribution API (manifests by HEAD first, blobs streamed,
 * the tag put last), then Harbor's REPLICATION webhook goes to the local project for each task's
 * status. See test/harbor-emulator/README.md for what is and is not faithful.
 */
export class Replicator {
  private readonly running = new Map<number, AbortController>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly opts: ReplicationOptions & {
      /** The registry behind the emulator, read directly when this Harbor is the source. */
      registryUrl: string;
      admin: { username: string; password: string };
      /** What the job service writes into this Harbor's /v2/ with (a pull), so pushes look like Harbor's. */
      jobservice: { username: string; password: string };
      /** Called after each change to executions or tasks (the state file is written then). */
      changed: () => void;
    },
  ) {}

  /** Starts an execution of the policy in the background; its id. */
  start(policy: Policy, trigger: ReplicationTrigger, operator: string, resources?: Resource[]): number {
    const state = this.ctx.state;
    const id = state.nextId();
    const execution: ReplicationExecutionState = {
      id,
      policy_id: policy.id,
      status: 'InProgress',
      trigger,
      start_time: now(),
      end_time: ZERO_TIME,
      status_text: '',
      total: 0,
      failed: 0,
      succeed: 0,
      in_progress: 0,
      stopped: 0,
      operator,
    };
    state.replicationExecutions.set(id, execution);
    const active = [...state.replicationExecutions.values()].some((e) => e.id !== id && e.policy_id === policy.id && e.status === 'InProgress');
    if (policy.single_active_replication && active) {
      this.end(execution, 'Failed', 'Execution skipped: active replication still in progress.');
      return id;
    }
    const abort = new AbortController();
    this.running.set(id, abort);
    const run = this.run(execution, policy, resources, abort.signal).finally(() => this.running.delete(id));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    this.opts.changed();
    return id;
  }

  /** Stops an execution: pending tasks stop at once, the running one at its next request. */
  stop(executionId: number): void {
    this.running.get(executionId)?.abort();
    for (const t of this.tasksOf(executionId)) if (t.task.status === 'Pending') this.setTaskStatus(t, 'Stopped');
    const execution = this.ctx.state.replicationExecutions.get(executionId);
    if (execution?.status === 'InProgress' && this.tasksOf(executionId).length === 0 && !this.running.has(executionId)) this.end(execution, 'Stopped', '');
  }

  /** Harbor's event-based trigger: a push to this Harbor starts each enabled push policy whose filters select it. */
  artifactPushed(repository: string, digest: string, tags: string[], operator: string): void {
    const labels = (this.ctx.state.artifacts.get(`${repository}@${digest}`)?.labels ?? []).map((l) => l.name ?? '');
    for (const policy of this.ctx.state.replicationPolicies.values()) {
      if (policy.enabled === false || policy.src_registry?.id || policy.trigger?.type !== 'event_based' || !nameMatches(policy, repository)) continue;
      const artifacts = filterArtifacts(policy, [{ digest, tags, labels }]);
      if (artifacts.length > 0) this.start(policy, 'event_based', operator, [{ repository, artifacts }]);
    }
  }

  /** After a restart from a snapshot: what was running then ended with the emulator. */
  failInterrupted(): void {
    for (const execution of this.ctx.state.replicationExecutions.values()) {
      if (execution.status !== 'InProgress') continue;
      for (const t of this.tasksOf(execution.id)) {
        if (t.task.status === 'Pending' || t.task.status === 'InProgress') {
          t.log.push(`${now()} [ERROR] the job was interrupted: the emulator stopped while it ran`);
          t.task = { ...t.task, status: 'Failed', end_time: now() };
        }
      }
      this.refresh(execution);
      if (execution.status === 'InProgress') this.end(execution, 'Failed', 'interrupted: the emulator stopped while the execution ran');
    }
  }

  /** Stops what runs and waits for it (the emulator's stop). */
  async close(): Promise<void> {
    for (const abort of this.running.values()) abort.abort();
    await this.idle();
  }

  /** Resolves once every execution started so far has ended. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  tasksOf(executionId: number): ReplicationTaskState[] {
    return [...this.ctx.state.replicationTasks.values()].filter((t) => t.task.execution_id === executionId);
  }

  private async run(execution: ReplicationExecutionState, policy: Policy, given: Resource[] | undefined, signal: AbortSignal): Promise<void> {
    try {
      const remoteId = policy.dest_registry?.id ?? policy.src_registry?.id;
      const remote = remoteId === undefined ? undefined : this.ctx.state.registries.get(remoteId);
      if (!remote) throw new Error(`the registry ${remoteId} of the policy ${policy.id} not found`);
      const push = Boolean(policy.dest_registry?.id);
      const remoteEndpoint: RegistryEndpoint = {
        base: remote.url ?? '',
        auth: remote.credential?.access_key ? { username: remote.credential.access_key, password: remote.credential.access_secret ?? '' } : undefined,
      };
      const self = `http://${this.ctx.registryAddress()}`;
      const src = registryClient(push ? { base: this.opts.registryUrl } : remoteEndpoint, signal);
      const dst = registryClient(push ? remoteEndpoint : { base: self, auth: this.opts.jobservice }, signal);

      const resources = given ?? (push ? await this.localResources(policy) : remote.type === 'harbor' ? await this.harborResources(src, policy) : await this.remoteResources(src, policy));
      if (signal.aborted) return this.end(execution, 'Stopped', '');
      if (resources.length === 0) return this.end(execution, 'Succeed', 'no resources need to be replicated');
      const destinations = resources.map((r) => replaceNamespace(r.repository, policy.dest_namespace ?? '', policy.dest_namespace_replace_count ?? -1));

      // Harbor's adapter for a Harbor destination creates the projects it pushes into; a plain registry needs nothing.
      if (!push || remote.type === 'harbor') {
        const api = push ? dst : registryClient({ base: self, auth: this.opts.admin }, signal);
        try {
          for (const project of new Set(destinations.map((d) => d.split('/')[0]!))) await api.ensureHarborProject(project);
        } catch (err) {
          throw new Error(`failed to do the prepare work for pushing/uploading resources: ${(err as Error).message}`);
        }
      }

      const tasks = resources.map((r, i) => this.createTask(execution, r, destinations[i]!));
      this.refresh(execution);
      const job: Job = { execution, policy, remote, src, dst, signal };
      // A failed task's job runs again later on its own, while the next tasks go on.
      const retries: Promise<void>[] = [];
      for (const [i, t] of tasks.entries()) {
        if (t.task.status !== 'Pending') continue;
        if (!(await this.runTask(job, t, resources[i]!, destinations[i]!))) retries.push(this.retryTask(job, t, resources[i]!, destinations[i]!));
      }
      this.refresh(execution);
      await Promise.all(retries);
    } catch (err) {
      if (signal.aborted) this.end(execution, 'Stopped', '');
      else this.end(execution, 'Failed', (err as Error).message);
    }
  }

  /** This Harbor's repositories and artifacts the policy selects, from the registry behind it. */
  private async localResources(policy: Policy): Promise<Resource[]> {
    const resources: Resource[] = [];
    for (const repository of await this.ctx.oci.repositories()) {
      if (!this.ctx.state.projects.has(repository.split('/')[0]!) || !nameMatches(policy, repository)) continue;
      const { artifacts, accessories } = await readRepository(this.ctx, repository);
      // Each artifact, then its accessories (Harbor lists them `with_accessory`): a cosign signature by its tag, a referrer by digest.
      const candidates = artifacts.flatMap(({ manifest, tags }): SourceArtifact[] => {
        const labels = (this.ctx.state.artifacts.get(`${repository}@${manifest.digest}`)?.labels ?? []).map((l) => l.name ?? '');
        const signatureTag = `${manifest.digest.replace(':', '-')}.sig`;
        return [
          { digest: manifest.digest, tags, labels },
          ...(accessories.get(manifest.digest) ?? []).map(({ manifest: accessory }) => ({
            digest: accessory.digest,
            tags: accessory.manifest.subject ? [] : [signatureTag],
            labels,
            parentTags: tags,
          })),
        ];
      });
      const selected = filterArtifacts(policy, candidates);
      if (selected.length > 0) resources.push({ repository, artifacts: selected });
    }
    return resources;
  }

  /** A plain remote registry's repositories (its catalog) and tags the policy selects; it has no labels. */
  private async remoteResources(src: RegistryClient, policy: Policy): Promise<Resource[]> {
    const resources: Resource[] = [];
    for (const repository of await src.catalog()) {
      if (!nameMatches(policy, repository)) continue;
      const selected = filterArtifacts(policy, (await src.tags(repository)).map((tag) => ({ tags: [tag], labels: [] })));
      if (selected.length > 0) resources.push({ repository, artifacts: selected });
    }
    return resources;
  }

  /** A remote Harbor's artifacts the policy selects, listed through its API as Harbor's adapter does: labels and untagged artifacts included. */
  private async harborResources(src: RegistryClient, policy: Policy): Promise<Resource[]> {
    type S = HarborSchemas;
    const resources: Resource[] = [];
    for (const project of await src.harborList<S['Project']>('/api/v2.0/projects?page_size=100', 'list the projects')) {
      const repositories = await src.harborList<S['Repository']>(`/api/v2.0/projects/${project.name}/repositories?page_size=100`, `list the repositories of ${project.name}`);
      for (const { name = '' } of repositories) {
        if (!nameMatches(policy, name)) continue;
        const inProject = encodeURIComponent(encodeURIComponent(name.slice(`${project.name}/`.length)));
        const artifacts = await src.harborList<S['Artifact']>(
          `/api/v2.0/projects/${project.name}/repositories/${inProject}/artifacts?with_tag=true&with_label=true&page_size=100`,
          `list the artifacts of ${name}`,
        );
        const candidates = artifacts.map((a) => ({ digest: a.digest, tags: (a.tags ?? []).map((t) => t.name ?? ''), labels: (a.labels ?? []).map((l) => l.name ?? '') }));
        const selected = filterArtifacts(policy, candidates);
        if (selected.length > 0) resources.push({ repository: name, artifacts: selected });
      }
    }
    return resources;
  }

  private createTask(execution: ReplicationExecutionState, resource: Resource, destination: string): ReplicationTaskState {
    const id = this.ctx.state.nextId();
    const t: ReplicationTaskState = {
      task: {
        id,
        execution_id: execution.id,
        status: 'Pending',
        job_id: randomUUID().replaceAll('-', '').slice(0, 24),
        operation: 'copy',
        resource_type: 'artifact',
        src_resource: resourceName(resource.repository, resource.artifacts),
        dst_resource: resourceName(destination, resource.artifacts),
        start_time: now(),
        end_time: ZERO_TIME,
      },
      references: resource.artifacts.flatMap((a) => (a.tags.length > 0 ? a.tags : [a.digest!])),
      log: [],
    };
    this.ctx.state.replicationTasks.set(id, t);
    return t;
  }

  /** The job service's retries of a failed task's job, each after its wait, until one succeeds. */
  private async retryTask(job: Job, t: ReplicationTaskState, resource: Resource, destination: string): Promise<void> {
    for (const delay of this.opts.jobRetryDelaysMs) {
      t.log.push(`${now()} [INFO] the job failed; the job service runs it again in ${delay} ms`);
      await sleep(delay, undefined, { signal: job.signal }).catch(() => undefined);
      if (job.signal.aborted || (await this.runTask(job, t, resource, destination))) return;
    }
  }

  /** One run of a task's job; whether it did not fail. */
  private async runTask(job: Job, t: ReplicationTaskState, resource: Resource, destination: string): Promise<boolean> {
    const { execution, policy, remote, src, dst, signal } = job;
    const log = (level: string, message: string) => t.log.push(`${now()} [${level}] ${message}`);
    this.setTaskStatus(t, 'InProgress');
    this.refresh(execution);
    this.notify(execution, policy, remote, t);
    log('INFO', `copying ${resource.repository}:[${t.references.join(',')}](source registry) to ${destination}:[${t.references.join(',')}](destination registry)...`);
    let failed = false;
    for (const reference of t.references) {
      if (signal.aborted) break;
      try {
        await this.copyArtifact(src, resource.repository, reference, dst, destination, reference, policy, log, signal);
      } catch (err) {
        if (signal.aborted) break;
        log('ERROR', (err as Error).message);
        failed = true;
      }
    }
    if (failed) log('ERROR', 'got error during the whole transfer period, mark the job failure');
    else if (!signal.aborted) log('INFO', `copy ${resource.repository}:[${t.references.join(',')}](source registry) to ${destination}:[${t.references.join(',')}](destination registry) completed`);
    this.setTaskStatus(t, signal.aborted ? 'Stopped' : failed ? 'Failed' : 'Succeed');
    this.refresh(execution);
    this.notify(execution, policy, remote, t);
    return !failed;
  }

  /** Harbor's `copyArtifact`: an existing equal artifact is skipped, a different one kept unless `override`, children and blobs before the manifest. */
  private async copyArtifact(
    src: RegistryClient,
    srcRepo: string,
    srcRef: string,
    dst: RegistryClient,
    dstRepo: string,
    dstRef: string,
    policy: Policy,
    log: (level: string, message: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    log('INFO', `copying ${srcRepo}:${srcRef}(source registry) to ${dstRepo}:${dstRef}(destination registry)...`);
    const manifest = await src.manifest(srcRepo, srcRef);
    const existing = await dst.manifestDigest(dstRepo, dstRef);
    if (existing === manifest.digest) {
      log('INFO', `the artifact ${dstRepo}:${dstRef} already exists on the destination registry, skip`);
      return;
    }
    if (existing && !policy.override) {
      log('WARNING', `the same name artifact ${dstRepo}:${dstRef} exists on the destination registry, but the "override" is set to false, skip`);
      return;
    }
    if (existing) log('WARNING', `the same name artifact ${dstRepo}:${dstRef} exists on the destination registry and the "override" is set to true, continue...`);
    const content = JSON.parse(manifest.bytes.toString('utf8')) as Manifest;
    // An index's children are manifests, copied by digest (always overriding, as Harbor does).
    for (const child of content.manifests ?? []) await this.copyArtifact(src, srcRepo, child.digest, dst, dstRepo, child.digest, { ...policy, override: true }, log, signal);
    for (const blob of [...(content.config ? [content.config] : []), ...(content.layers ?? [])]) {
      if (blob.mediaType === FOREIGN_LAYER) continue;
      await this.copyBlobWithRetry(src, srcRepo, dst, dstRepo, blob, policy, log, signal);
    }
    await dst.putManifest(dstRepo, dstRef, manifest);
    log('INFO', `copy ${srcRepo}:${srcRef}(source registry) to ${dstRepo}:${dstRef}(destination registry) completed`);
  }

  private async copyBlobWithRetry(
    src: RegistryClient,
    srcRepo: string,
    dst: RegistryClient,
    dstRepo: string,
    blob: Descriptor,
    policy: Policy,
    log: (level: string, message: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const byChunk = policy.copy_by_chunk ?? false;
    for (let attempt = 1, backoff = this.opts.retryBackoffMs; ; attempt++, backoff *= 2) {
      log('INFO', `copying the blob ${blob.digest}${byChunk ? ` by chunk(chunkSize: ${this.opts.chunkSize})` : ''}(the ${attempt}th running)...`);
      try {
        await this.copyBlob(src, srcRepo, dst, dstRepo, blob, policy, log);
        log('INFO', `copy the blob ${blob.digest} completed`);
        return;
      } catch (err) {
        if (attempt >= this.opts.blobRetries || signal.aborted) throw err;
        log('ERROR', `failed to copy the blob ${blob.digest}: ${(err as Error).message}`);
        log('INFO', `will retry ${backoff}ms later`);
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** One blob, unless the destination has it: its body streams from the source's GET into the upload, at the policy's speed. */
  private async copyBlob(src: RegistryClient, srcRepo: string, dst: RegistryClient, dstRepo: string, blob: Descriptor, policy: Policy, log: (level: string, message: string) => void): Promise<void> {
    if (await dst.blobExists(dstRepo, blob.digest)) {
      log('INFO', `the blob ${blob.digest} already exists on the destination registry, skip`);
      return;
    }
    const breaks = this.ctx.faults.takeReplicationBlobFailure();
    const limited = (stream: ReadableStream<Uint8Array>) => (policy.speed ? throttle(stream, policy.speed) : stream);
    const body = (stream: ReadableStream<Uint8Array>, size: number) => limited(breaks ? breakMidway(stream, size) : stream);
    if (policy.copy_by_chunk && blob.size > this.opts.chunkSize) {
      await dst.pushBlobChunked(dstRepo, blob.digest, blob.size, this.opts.chunkSize, async ([from, to]) => body(await src.blob(srcRepo, blob.digest, [from, to]), to - from + 1));
    } else {
      await dst.pushBlob(dstRepo, blob.digest, body(await src.blob(srcRepo, blob.digest), blob.size));
    }
  }

  private setTaskStatus(t: ReplicationTaskState, status: TaskStatus): void {
    const stamp = now();
    t.task = { ...t.task, status, ...(status === 'InProgress' ? { start_time: stamp, end_time: ZERO_TIME } : {}), ...(status !== 'InProgress' && status !== 'Pending' ? { end_time: stamp } : {}) };
    this.opts.changed();
  }

  /** The execution's counts and status from its tasks, as Harbor's `refreshStatus`: running first, then error, stopped, success. */
  private refresh(execution: ReplicationExecutionState): void {
    const statuses = this.tasksOf(execution.id).map((t) => t.task.status);
    if (statuses.length === 0) return;
    const count = (...s: string[]) => statuses.filter((x) => s.includes(x ?? '')).length;
    Object.assign(execution, { total: statuses.length, succeed: count('Succeed'), failed: count('Failed'), stopped: count('Stopped'), in_progress: count('Pending', 'InProgress') });
    const status = execution.in_progress! > 0 ? 'InProgress' : execution.failed! > 0 ? 'Failed' : execution.stopped! > 0 ? 'Stopped' : 'Succeed';
    if (status !== 'InProgress') this.end(execution, status, execution.status_text ?? '');
    else {
      // A retried job takes an ended execution back: Harbor clears its end time then.
      Object.assign(execution, { status, end_time: ZERO_TIME });
      this.opts.changed();
    }
  }

  private end(execution: ReplicationExecutionState, status: 'Succeed' | 'Failed' | 'Stopped', statusText: string): void {
    Object.assign(execution, { status, status_text: statusText, end_time: now() });
    this.opts.changed();
  }

  /**
   * Harbor's REPLICATION webhook for a task's status, to the local project's policies, built as
   * src/controller/event/handler/webhook/artifact/replication.go does — including its quirk that
   * the remote side carries the source's namespace and the local side the destination's, so in a
   * push with a `dest_namespace` the local side names the remote namespace.
   */
  private notify(execution: ReplicationExecutionState, policy: Policy, remote: Registry, t: ReplicationTaskState): void {
    const split = (resource: string) => {
      const slash = resource.indexOf('/');
      return slash < 0 ? ['', resource] : [resource.slice(0, slash), resource.slice(slash + 1)];
    };
    const [srcNamespace, srcNameAndTag] = split(t.task.src_resource ?? '');
    const [destNamespace, destNameAndTag] = split(t.task.dst_resource ?? '');
    const push = Boolean(policy.dest_registry?.id);
    const project = this.ctx.state.projects.get(push ? srcNamespace! : destNamespace!);
    if (!project) return;
    const jobStatus = JOB_STATUS[t.task.status as TaskStatus];
    const address = this.ctx.registryAddress();
    const remoteSide = { registry_name: remote.name, registry_type: remote.type, endpoint: remote.url, ...(srcNamespace ? { namespace: srcNamespace } : {}) };
    const localSide = { registry_type: 'harbor', endpoint: `http://${address}`, ...(destNamespace ? { namespace: destNamespace } : {}) };
    const artifact = [{ type: t.task.resource_type, status: jobStatus, name_tag: push ? srcNameAndTag : destNameAndTag, references: t.references }];
    const startedAt = Math.floor(Date.parse(execution.start_time ?? '') / 1000);
    const replication = {
      harbor_hostname: address.split(':')[0],
      job_status: jobStatus,
      ...(policy.description ? { description: policy.description } : {}),
      artifact_type: t.task.resource_type,
      ...(remote.credential?.type ? { authentication_type: remote.credential.type } : {}),
      ...(policy.override ? { override_mode: true } : {}),
      trigger_type: TRIGGER_TYPE[execution.trigger ?? 'manual'],
      // Only the admin reaches the emulator's API, so it created every policy.
      policy_creator: this.opts.admin.username,
      execution_timestamp: startedAt,
      src_resource: push ? localSide : remoteSide,
      dest_resource: push ? remoteSide : localSide,
      ...(jobStatus === 'Success' ? { successful_artifact: artifact } : {}),
      ...(jobStatus === 'Error' ? { failed_artifact: artifact } : {}),
      execution_id: execution.id,
      task_id: t.task.id,
    };
    this.ctx.webhooks.emit({ id: project.project.project_id!, policies: project.webhookPolicies }, 'REPLICATION', execution.operator, { replication });
  }
}
