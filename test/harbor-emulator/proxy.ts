import type { Context, Hono } from 'hono';
import { type EmulatorContext, now } from './context';
import { emitArtifactEvent } from './routes/repositories';

const MANIFEST_PATH = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const REPO_PATH = /^\/v2\/(.+)\/(manifests|blobs|tags)\//;
const COSIGN_TAG = /^sha256-[a-f0-9]{64}\.sig$/;
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function operatorOf(c: Context): string {
  const auth = c.req.header('authorization');
  if (!auth?.startsWith('Basic ')) return 'anonymous';
  return Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0] ?? 'anonymous';
}

/**
 * Harbor's registry endpoint: /v2/ is passed through to the real OCI registry, and what Harbor
 * would notice on the way (a manifest pushed, pulled or deleted) becomes a webhook.
 */
export function ociProxy(app: Hono, ctx: EmulatorContext, registryUrl: string) {
  app.all('/v2/*', async (c) => {
    const url = new URL(c.req.url);
    const path = url.pathname;
    const repoMatch = REPO_PATH.exec(path);
    const projectName = repoMatch?.[1]?.split('/')[0];
    const p = projectName ? ctx.state.projects.get(projectName) : undefined;
    if (repoMatch && !p) {
      return c.json({ errors: [{ code: 'NAME_UNKNOWN', message: `project ${projectName} not found`, detail: repoMatch[1] }] }, 404);
    }

    const headers = new Headers();
    c.req.raw.headers.forEach((value, key) => {
      if (!HOP_HEADERS.has(key)) headers.set(key, value);
    });
    const method = c.req.method;
    const manifest = MANIFEST_PATH.exec(path);
    // Manifests are small and the push event needs their content; blobs stream through.
    const body = method === 'GET' || method === 'HEAD' ? undefined : manifest ? await c.req.arrayBuffer() : c.req.raw.body;
    const upstream = await fetch(`${registryUrl}${path}${url.search}`, { method, headers, body, duplex: 'half', redirect: 'manual' } as RequestInit);

    const outHeaders = new Headers(upstream.headers);
    const location = outHeaders.get('location');
    if (location?.startsWith(registryUrl)) outHeaders.set('location', location.slice(registryUrl.length));

    if (manifest && p && upstream.ok) {
      const [, repository, reference] = manifest as unknown as [string, string, string];
      const digest = upstream.headers.get('docker-content-digest') ?? reference;
      const stamp = now();
      const resource = (tag: string) => ({ digest, tag, resource_url: `${ctx.registryAddress()}/${repository}:${tag || digest}` });
      if (method === 'PUT' || method === 'DELETE') ctx.state.changed(repository);
      if (method === 'PUT') {
        const isTag = !reference.startsWith('sha256:');
        const content = JSON.parse(Buffer.from(body as ArrayBuffer).toString('utf8')) as { subject?: unknown };
        ctx.state.repository(repository, p.project.project_id!, stamp).updateTime = stamp;
        ctx.state.artifact(repository, digest, stamp);
        if (isTag) {
          ctx.state.tagPushTimes.set(`${repository}:${reference}`, stamp);
          ctx.state.deletedTags.delete(`${repository}:${reference}`);
        }
        // Signatures and other accessories attach to their subject; Harbor sends no push for them.
        if (!COSIGN_TAG.test(reference) && !content.subject) {
          emitArtifactEvent(ctx, p, 'PUSH_ARTIFACT', repository, [resource(isTag ? reference : '')], {}, operatorOf(c));
        }
      } else if (method === 'GET') {
        const known = ctx.state.artifact(repository, digest, stamp);
        known.pullTime = stamp;
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
