import { heartbeat } from '@temporalio/activity';
import { Agent, fetch, type Response } from 'undici';
import type { Db } from '../../db/client';
import { liveRemoteRegistryWhere } from '../../db/queries/registries';
import { remoteRegistries } from '../../db/schema';
import { notFound, operationFailed } from '../../lib/failure-types';
import { bearerChallenge, MANIFEST_ACCEPT } from '../../lib/oci-distribution';
import type { RemoteManifest } from '../../lib/promotion';
import type { RemoteRegistryRef } from '../../lib/registries';
import { globMatches, type RemoteVersion, type ReplicationFilters } from '../../lib/replication';
import type { SecretBox } from '../../lib/secrets';
import type { SideVersion } from '../../lib/execution-locations';

const TIMEOUT_MS = 8_000;
const PAGE = 100;

interface Endpoint {
  url: string;
  /** `Basic …`, or undefined for anonymous access. */
  basic?: string;
  /** The endpoint's `insecure`: its TLS certificate is not verified (self-signed, as Harbor's flag means). */
  insecure: boolean;
}

/** One connection pool for the endpoints whose certificates are not verified. */
const unverified = new Agent({ connect: { rejectUnauthorized: false } });

/**
 * Reads of a remote registry's OCI distribution API (`/v2/`), with the remote registry endpoint's
 * own URL and credential. The secret is opened here only, sent only to that registry (Basic, or
 * for a token challenge to the realm it names) and never logged, returned or put in an error.
 */
export function createRemoteOciActivities(deps: { db: Db; secrets: SecretBox }) {
  async function endpointOf(ref: RemoteRegistryRef): Promise<Endpoint> {
    const [row] = await deps.db.select().from(remoteRegistries).where(liveRemoteRegistryWhere(ref.registry, ref.name)).limit(1);
    if (!row) throw notFound(`no remote registry "${ref.name}" in ${ref.registry}`);
    const basic = row.accessKey && row.sealedSecret ? `Basic ${Buffer.from(`${row.accessKey}:${deps.secrets.open(row.sealedSecret)}`).toString('base64')}` : undefined;
    return { url: row.url.replace(/\/+$/, ''), basic, insecure: row.insecure };
  }

  /** One request; a token challenge is answered once (Docker's token flow) with the credential. */
  async function request(endpoint: Endpoint, path: string, init: { method: string; accept?: string }): Promise<Response> {
    const target = `${endpoint.url}${path}`;
    const dispatcher = endpoint.insecure ? unverified : undefined;
    const send = (authorization?: string) =>
      fetch(target, { method: init.method, headers: { ...(init.accept ? { accept: init.accept } : {}), ...(authorization ? { authorization } : {}) }, signal: AbortSignal.timeout(TIMEOUT_MS), dispatcher });
    let res: Response;
    try {
      res = await send(endpoint.basic);
      const challenge = res.status === 401 ? bearerChallenge(res.headers.get('www-authenticate')) : null;
      if (challenge?.realm) {
        const tokenUrl = new URL(challenge.realm);
        if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
        if (challenge.scope) tokenUrl.searchParams.set('scope', challenge.scope);
        const tokenRes = await fetch(tokenUrl, { headers: endpoint.basic ? { authorization: endpoint.basic } : {}, signal: AbortSignal.timeout(TIMEOUT_MS), dispatcher });
        if (tokenRes.ok) {
          const body = (await tokenRes.json()) as { token?: string; access_token?: string };
          const token = body.token ?? body.access_token;
          if (token) res = await send(`Bearer ${token}`);
        }
      }
    } catch (err) {
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
        throw operationFailed(`remote registry ${init.method} ${target}: its TLS certificate is not trusted (${code}); mark the remote registry insecure if it is meant to be self-signed`, { tls: code });
      }
      // Retried by Temporal: the remote may come back. The message names the URL, never a credential.
      throw new Error(`remote registry ${init.method} ${target}: ${err instanceof Error ? err.name : 'network error'}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (res.status === 401 || res.status === 403) throw operationFailed(`remote registry refused ${init.method} ${target} (${res.status}): check the remote registry's credential`, { remoteStatus: res.status });
    if (res.status >= 500 || res.status === 429) throw new Error(`remote registry ${init.method} ${target}: ${res.status}`);
    return res;
  }

  /** Every page of a `/v2/` list (`n` and the `Link` header's `last`), heartbeating per page (a sync's activity). */
  async function listAll<T>(endpoint: Endpoint, path: string, key: 'repositories' | 'tags'): Promise<T[] | null> {
    const items: T[] = [];
    let next: string | null = `${path}?n=${PAGE}`;
    while (next) {
      const res = await request(endpoint, next, { method: 'GET' });
      if (res.status === 404) return null;
      if (!res.ok) throw operationFailed(`remote registry GET ${endpoint.url}${next}: ${res.status}`);
      const body = (await res.json()) as Record<string, T[] | null>;
      items.push(...(body[key] ?? []));
      const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
      next = link ? link[1]!.replace(/^https?:\/\/[^/]+/, '') : null;
      heartbeat();
    }
    return items;
  }

  /** A repository's tags matching `tagFilter` with the digest each has (a manifest HEAD per tag); none when the repository is not there. */
  async function tagDigests(endpoint: Endpoint, repository: string, tagFilter = '**'): Promise<SideVersion[]> {
    const tags = ((await listAll<string>(endpoint, `/v2/${repository}/tags/list`, 'tags')) ?? []).filter((t) => globMatches(tagFilter, t));
    const found: SideVersion[] = [];
    for (const tag of tags) {
      const res = await request(endpoint, `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, { method: 'HEAD', accept: MANIFEST_ACCEPT });
      const digest = res.ok ? res.headers.get('docker-content-digest') : null;
      if (digest) found.push({ tag, digest });
      // A large namespace takes a while: a dead worker's attempt is noticed by the heartbeat time-out.
      heartbeat();
    }
    return found;
  }

  return {
    /** The tags of one remote repository matching `tagFilter`, with their digests there. */
    async readRemoteTags(ref: RemoteRegistryRef, repository: string, tagFilter?: string): Promise<SideVersion[]> {
      return tagDigests(await endpointOf(ref), repository, tagFilter);
    },

    /** The digest the remote serves for `<repository>:<reference>` (HEAD, GET when HEAD gives none); null: not there. */
    async readRemoteManifest(ref: RemoteRegistryRef, repository: string, reference: string): Promise<RemoteManifest | null> {
      const endpoint = await endpointOf(ref);
      const path = `/v2/${repository}/manifests/${encodeURIComponent(reference)}`;
      for (const method of ['HEAD', 'GET']) {
        const res = await request(endpoint, path, { method, accept: MANIFEST_ACCEPT });
        if (res.status === 404) return null;
        if (!res.ok) throw operationFailed(`remote registry ${method} ${endpoint.url}${path}: ${res.status}`);
        const digest = res.headers.get('docker-content-digest');
        if (method === 'GET') await res.arrayBuffer();
        if (digest) return { digest, mediaType: res.headers.get('content-type') };
      }
      throw operationFailed(`remote registry ${endpoint.url}${path} answered without Docker-Content-Digest`);
    },

    /**
     * The versions under `<namespace>/` whose model and tag match the filters (Harbor's globs), with
     * the digest each tag has there: the catalogue, each repository's tags, a manifest HEAD per tag.
     */
    async readRemoteVersions(ref: RemoteRegistryRef, namespace: string, filters: ReplicationFilters): Promise<RemoteVersion[]> {
      const endpoint = await endpointOf(ref);
      const repositories = ((await listAll<string>(endpoint, '/v2/_catalog', 'repositories')) ?? []).filter(
        (r) => r.startsWith(`${namespace}/`) && globMatches(filters.name ?? '**', r.slice(namespace.length + 1)),
      );
      const versions: RemoteVersion[] = [];
      for (const repository of repositories) {
        for (const v of await tagDigests(endpoint, repository, filters.tag)) versions.push({ repository, model: repository.slice(namespace.length + 1), ...v });
      }
      return versions;
    },
  };
}
