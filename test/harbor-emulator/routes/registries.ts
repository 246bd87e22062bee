import { Agent, fetch } from 'undici';
import type { Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, conflict, type EmulatorContext, HarborError, notFound, now, operation, paged } from '../context';

const isLoopback = (url: string) => {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
};

/** Harbor hides the stored secret of an endpoint. */
export const registryView = (r: HarborSchemas['Registry']): HarborSchemas['Registry'] => ({ ...r, credential: r.credential ? { ...r.credential, access_secret: '*****' } : undefined });

/** Remote registries: the endpoints replication policies copy to or from. */
const unverified = new Agent({ connect: { rejectUnauthorized: false } });

export function registryRoutes(app: Hono, ctx: EmulatorContext) {

  app.get('/registries', operation(ctx, 'listRegistries', (c) => paged(c, [...ctx.state.registries.values()].map(registryView))));

  app.post('/registries', operation(ctx, 'createRegistry', async (c) => {
    const req = (await c.req.json()) as HarborSchemas['Registry'];
    if (!req.name || !req.url || !req.type) throw badRequest('name, type and url are required');
    if ([...ctx.state.registries.values()].some((r) => r.name === req.name)) throw conflict(`registry ${req.name} already exists`);
    const id = ctx.state.nextId();
    const stamp = now();
    ctx.state.registries.set(id, { ...req, id, status: 'healthy', creation_time: stamp, update_time: stamp, insecure: req.insecure ?? false, description: req.description ?? '' });
    return { status: 201, headers: { location: `/api/v2.0/registries/${id}` } };
  }));

  app.post('/registries/ping', operation(ctx, 'pingRegistry', async (c) => {
    const req = (await c.req.json()) as HarborSchemas['RegistryPing'];
    const known = req.id ? ctx.state.registries.get(req.id) : undefined;
    const url = req.id ? known?.url : req.url;
    if (!url) throw notFound(`registry ${req.id ?? ''} not found`);
    // `insecure`: the remote's certificate is not verified (a self-signed one), as Harbor's flag means.
    const dispatcher = (known?.insecure ?? req.insecure) ? unverified : undefined;
    // Harbor pings the remote's /v2/ endpoint; 401 still proves a registry is there. Tests reach
    // loopback only: any other host is as unreachable as from an offline Harbor, and never contacted.
    if (!isLoopback(url)) throw badRequest(`failed to ping endpoint ${url}`);
    const res = await fetch(`${url.replace(/\/+$/, '')}/v2/`, { signal: AbortSignal.timeout(3000), dispatcher }).catch(() => null);
    if (!res || (res.status !== 200 && res.status !== 401)) throw badRequest(`failed to ping endpoint ${url}`);
    return { status: 200 };
  }));

  app.get('/registries/:id', operation(ctx, 'getRegistry', (c) => {
    const r = ctx.state.registries.get(Number(c.req.param('id')));
    if (!r) throw notFound(`registry ${c.req.param('id')} not found`);
    return { status: 200, body: registryView(r) };
  }));

  app.put('/registries/:id', operation(ctx, 'updateRegistry', async (c) => {
    const id = Number(c.req.param('id'));
    const r = ctx.state.registries.get(id);
    if (!r) throw notFound(`registry ${c.req.param('id')} not found`);
    const req = (await c.req.json()) as HarborSchemas['RegistryUpdate'];
    if (req.name && req.name !== r.name && [...ctx.state.registries.values()].some((x) => x.name === req.name)) throw conflict(`registry ${req.name} already exists`);
    const credential = req.access_key != null || req.access_secret != null || req.credential_type != null
      ? { type: req.credential_type ?? r.credential?.type ?? 'basic', access_key: req.access_key ?? r.credential?.access_key, access_secret: req.access_secret ?? r.credential?.access_secret }
      : r.credential;
    ctx.state.registries.set(id, {
      ...r,
      name: req.name ?? r.name,
      description: req.description ?? r.description,
      url: req.url ?? r.url,
      insecure: req.insecure ?? r.insecure,
      credential,
      update_time: now(),
    });
    return { status: 200 };
  }));

  app.delete('/registries/:id', operation(ctx, 'deleteRegistry', (c) => {
    const id = Number(c.req.param('id'));
    // Harbor refuses to delete an endpoint a replication policy uses.
    if ([...ctx.state.replicationPolicies.values()].some((p) => p.src_registry?.id === id || p.dest_registry?.id === id)) {
      throw new HarborError(412, 'PRECONDITION', `the registry ${id} is referenced by replication policies, cannot delete it`);
    }
    if (!ctx.state.registries.delete(id)) throw notFound(`registry ${c.req.param('id')} not found`);
    return { status: 200 };
  }));
}
