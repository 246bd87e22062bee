import type { Context, Hono } from 'hono';
import { CONTENT_CACHE_MAX_BYTES, contentCache, contentKey, digestKey } from './content-cache';
import { readRepository } from './artifacts';
import type { EmulatorContext } from './context';
import { deleteArtifact } from './deletion';
import { isImmutable } from './immutable';
import { emitArtifactEvent } from './routes/repositories';

const MANIFEST_PATH = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const REPO_PATH = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\//;
const COSIGN_TAG = /^sha256-[a-f0-9]{64}\.sig$/;
// Harbor's core does not hand the client's credentials on to the registry behind it.
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'authorization']);

/** The HTTP Basic user and password of a request; null without (anonymous), 'malformed' for anything else. */
function basicCredentials(c: Context): { username: string; password: string } | null | 'malformed' {
  const auth = c.req.header('authorization');
  if (auth === undefined) return null;
  if (!/^basic /i.test(auth)) return 'malformed';
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function operatorOf(c: Context): string {
  const credentials = basicCredentials(c);
  return credentials && credentials !== 'malformed' ? credentials.username : 'anonymous';
}

/** Harbor's action for a /v2/ request on a repository (src/server/middleware/v2auth/access.go `getAction`). */
function repositoryAction(method: string): 'pull' | 'push' | 'delete' | undefined {
  if (method === 'GET' || method === 'HEAD') return 'pull';
  if (method === 'PUT' || method === 'POST' || method === 'PATCH') return 'push';
  if (method === 'DELETE') return 'delete';
  return undefined;
}

const unauthorized = (c: Context, message: string) =>
  c.json({ errors: [{ code: 'UNAUTHORIZED', message }] }, 401, { 'www-authenticate': 'Basic realm="harbor"', 'docker-distribution-api-version': 'registry/2.0' });
const denied = (c: Context, message: string) => c.json({ errors: [{ code: 'DENIED', message }] }, 403, { 'docker-distribution-api-version': 'registry/2.0' });

/**
 * Who may do what on /v2/, as Harbor decides it for Basic credentials: the admin may do
 * anything; a robot (`robot$<project>+<name>` with its current secret, enabled and not
 * expired) may do what its permissions grant on each project (`repository:pull` to read,
 * `repository:push` to upload, `repository:delete` to delete). Unknown user, wrong or replaced
 * secret, deleted, disabled or expired robot: 401. A robot without the permission: 403 (Harbor
 * itself answers 401 with a challenge there). No credentials: reads allowed; writes too where
 * `anonymousWrites` (the tests push anonymously), else a 401 challenge, as Harbor's (so clients
 * send their credentials, and a push's operator is who pushed).
 */
function authorize(c: Context, ctx: EmulatorContext, admin: { username: string; password: string }, needs: { project: string; action: string }[], anonymousWrites: boolean): Response | undefined {
  const credentials = basicCredentials(c);
  if (credentials === null) return anonymousWrites || needs.every((n) => n.action === 'pull') ? undefined : unauthorized(c, 'unauthorized: authentication required');
  if (credentials === 'malformed') return unauthorized(c, 'unauthorized: malformed Basic credentials');
  if (credentials.username === admin.username) return credentials.password === admin.password ? undefined : unauthorized(c, 'unauthorized: invalid username or password');
  if (credentials.username === ctx.jobservice.username) return credentials.password === ctx.jobservice.password ? undefined : unauthorized(c, 'unauthorized: invalid username or password');
  const robot = [...ctx.state.robots.values()].find((r) => r.name === credentials.username);
  if (!robot || robot.secret !== credentials.password) return unauthorized(c, 'unauthorized: invalid username or password');
  if (robot.disable) return unauthorized(c, `unauthorized: robot ${robot.name} is disabled`);
  if (robot.expires_at !== undefined && robot.expires_at !== -1 && robot.expires_at * 1000 <= Date.now()) return unauthorized(c, `unauthorized: robot ${robot.name} is expired`);
  for (const need of needs) {
    const allowed = (robot.permissions ?? []).some(
      (p) => p.kind === 'project' && (p.namespace === need.project || p.namespace === '*') && (p.access ?? []).some((a) => a.resource === 'repository' && a.action === need.action && a.effect !== 'deny'),
    );
    if (!allowed) return denied(c, `robot ${robot.name} has no repository:${need.action} on project ${need.project}`);
  }
  return undefined;
}

const UPLOAD_PATH = /^\/v2\/(.+)\/blobs\/uploads\/[^/]+$/;

/** The cache key of a monolithic blob upload small enough to keep, or undefined. */
function smallBlobUpload(path: string, url: URL, contentLength: string | undefined): string | undefined {
  const repository = UPLOAD_PATH.exec(path)?.[1];
  const digest = url.searchParams.get('digest');
  if (!repository || !digest || !(Number(contentLength) <= CONTENT_CACHE_MAX_BYTES)) return undefined;
  return contentKey(repository, 'blobs', digest);
}

/**
 * Harbor's registry endpoint: /v2/ is passed through to the real OCI registry, and what Harbor
 * would notice on the way (a manifest pushed, pulled or deleted) becomes a webhook.
 */
export function ociProxy(app: Hono, ctx: EmulatorContext, registryUrl: string, admin: { username: string; password: string }, anonymousWrites: boolean) {
  app.all('/v2/*', async (c) => {
    const url = new URL(c.req.url);
    const path = url.pathname;
    const repoMatch = REPO_PATH.exec(path);
    const projectName = repoMatch?.[1]?.split('/')[0];
    const p = projectName ? ctx.state.projects.get(projectName) : undefined;
    if (repoMatch && !p) {
      return c.json({ errors: [{ code: 'NAME_UNKNOWN', message: `project ${projectName} not found`, detail: repoMatch[1] }] }, 404);
    }
    const action = repositoryAction(c.req.method);
    const needs = projectName && action ? [{ project: projectName, action }] : [];
    // A cross-repository blob mount also reads the repository it mounts from.
    const mountFrom = c.req.method === 'POST' ? url.searchParams.get('from') : null;
    if (mountFrom) needs.push({ project: mountFrom.split('/')[0]!, action: 'pull' });
    const refused = authorize(c, ctx, admin, needs, anonymousWrites);
    if (refused) return refused;

    const manifestRef = MANIFEST_PATH.exec(path) as [string, string, string] | null;
    // Injected as `faults.failNext('registry.getManifest', status)`: a manifest read that fails.
    const failure = manifestRef && c.req.method === 'GET' ? ctx.faults.takeFailure('registry.getManifest') : undefined;
    if (failure) return c.json({ errors: [{ code: 'UNKNOWN', message: 'injected failure' }] }, failure.status as 500);
    if (manifestRef && p) {
      const [, repository, reference] = manifestRef;
      const refused = await immutableRefusal(c, ctx, p.project.project_id!, repository, reference);
      if (refused) return refused;
      if (c.req.method === 'DELETE') {
        const deleted = await deleteThroughHarbor(ctx, p, repository, reference, operatorOf(c));
        if (deleted) return deleted;
      }
    }

    const headers = new Headers();
    c.req.raw.headers.forEach((value, key) => {
      if (!HOP_HEADERS.has(key)) headers.set(key, value);
    });
    const method = c.req.method;
    const manifest = manifestRef;
    // Manifests are small and the push event needs their content; a small monolithic blob upload
    // (a model config) is kept for later reads by digest; other blobs stream through.
    const uploaded = method === 'PUT' ? smallBlobUpload(path, url, c.req.header('content-length')) : undefined;
    const body = method === 'GET' || method === 'HEAD' ? undefined : manifest || uploaded ? await c.req.arrayBuffer() : c.req.raw.body;
    const byDigest = digestKey(path);
    const cached = method === 'GET' && byDigest ? contentCache.get(ctx, byDigest) : undefined;
    let upstream = cached ?? (await fetch(`${registryUrl}${path}${url.search}`, { method, headers, body, duplex: 'half', redirect: 'manual' } as RequestInit));
    if (uploaded && upstream.status === 201) contentCache.put(ctx, uploaded, body as ArrayBuffer, 'application/octet-stream');
    if (byDigest && !cached) {
      if (method === 'GET') upstream = await contentCache.keep(ctx, byDigest, upstream);
      else if (method === 'DELETE') contentCache.delete(ctx, byDigest);
    }

    const outHeaders = new Headers(upstream.headers);
    const location = outHeaders.get('location');
    if (location?.startsWith(registryUrl)) outHeaders.set('location', location.slice(registryUrl.length));

    if (manifest && p && upstream.ok) {
      const [, repository, reference] = manifest;
      const digest = upstream.headers.get('docker-content-digest') ?? reference;
      const stamp = ctx.clock.now();
      const resource = (tag: string) => ({ digest, tag, resource_url: `${ctx.registryAddress()}/${repository}:${tag || digest}` });
      if (method === 'PUT' || method === 'DELETE') ctx.state.changed(repository);
      if (method === 'PUT') {
        const isTag = !reference.startsWith('sha256:');
        contentCache.put(ctx, contentKey(repository, 'manifests', digest), body as ArrayBuffer, c.req.header('content-type') ?? '');
        const content = JSON.parse(Buffer.from(body as ArrayBuffer).toString('utf8')) as { subject?: unknown };
        ctx.state.repository(repository, p.project.project_id!, stamp).updateTime = stamp;
        ctx.state.artifact(repository, digest, stamp);
        if (isTag) {
          ctx.state.tagPullTimes.delete(`${repository}:${reference}`);
          ctx.state.tagPushTimes.set(`${repository}:${reference}`, stamp);
          ctx.state.deletedTags.delete(`${repository}:${reference}`);
        }
        // Signatures and other accessories attach to their subject; Harbor sends no push for them.
        if (!COSIGN_TAG.test(reference) && !content.subject) {
          emitArtifactEvent(ctx, p, 'PUSH_ARTIFACT', repository, [resource(isTag ? reference : '')], {}, operatorOf(c));
          ctx.replication.artifactPushed(repository, digest, isTag ? [reference] : [], operatorOf(c));
        }
      } else if (method === 'GET') {
        // As src/server/registry/manifest.go: a GET is a pull (a HEAD is not).
        recordPull(ctx, repository, digest, reference.startsWith('sha256:') ? undefined : reference, stamp);
        ctx.state.repository(repository, p.project.project_id!, stamp).pullCount++;
        emitArtifactEvent(ctx, p, 'PULL_ARTIFACT', repository, [resource(reference.startsWith('sha256:') ? '' : reference)], {}, operatorOf(c));
      } else if (method === 'DELETE') {
        ctx.state.artifacts.delete(`${repository}@${digest}`);
        emitArtifactEvent(ctx, p, 'DELETE_ARTIFACT', repository, [resource('')], {}, operatorOf(c));
      }
    }
    return new Response(method === 'HEAD' ? null : upstream.body, { status: upstream.status, headers: outHeaders });
  });
}

/**
 * Harbor's pull time, as src/controller/event/handler/internal/artifact.go keeps it: the artifact's,
 * and the tag's when pulled by tag. Harbor buffers them and flushes every 10 s
 * (ARTIFACT_PULL_ASYNC_FLUSH_DURATION); `pullTimeFlushMs` does the same, 0 writes them at once
 * (Harbor's synchronous mode).
 */
function recordPull(ctx: EmulatorContext, repository: string, digest: string, tag: string | undefined, stamp: string): void {
  const write = () => {
    const known = ctx.state.artifacts.get(`${repository}@${digest}`);
    if (!known) return;
    known.pullTime = stamp;
    if (tag) ctx.state.tagPullTimes.set(`${repository}:${tag}`, stamp);
  };
  ctx.state.artifact(repository, digest, stamp);
  if (ctx.pullTimeFlushMs > 0) setTimeout(write, ctx.pullTimeFlushMs).unref();
  else write();
}

/** A manifest PUT that would move an immutable tag, or a DELETE of an artifact one holds: Harbor's 412. */
async function immutableRefusal(c: Context, ctx: EmulatorContext, projectId: number, repository: string, reference: string): Promise<Response | undefined> {
  if (c.req.method !== 'PUT' && c.req.method !== 'DELETE') return undefined;
  // Most projects have no rules: their pushes need no read of the repository.
  if (![...ctx.state.immutableRules.values()].some((r) => r.projectId === projectId && !r.disabled)) return undefined;
  const { artifacts } = await readRepository(ctx, repository);
  const tags =
    c.req.method === 'PUT'
      ? artifacts.some((a) => a.tags.includes(reference)) ? [reference] : []
      : (artifacts.find((a) => a.manifest.digest === reference)?.tags ?? []);
  const tag = tags.find((t) => isImmutable(ctx.state, projectId, repository, t));
  if (!tag) return undefined;
  const shortName = repository.slice(repository.indexOf('/') + 1);
  return c.json({ errors: [{ code: 'PRECONDITION', message: `Failed to process request due to '${shortName}:${tag}' configured as immutable.` }] }, 412);
}

/** A manifest DELETE through /v2/ deletes the artifact as the API does (accessories, trash, webhook); undefined when there is none. */
async function deleteThroughHarbor(ctx: EmulatorContext, p: Parameters<typeof deleteArtifact>[1], repository: string, reference: string, operator: string): Promise<Response | undefined> {
  const contents = await readRepository(ctx, repository);
  const entry = contents.artifacts.find((a) => a.manifest.digest === reference);
  if (!entry) return undefined;
  await deleteArtifact(ctx, p, repository, entry, contents, operator);
  return new Response(null, { status: 202, headers: { 'docker-distribution-api-version': 'registry/2.0' } });
}
