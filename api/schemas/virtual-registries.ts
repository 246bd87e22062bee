import { z } from '@hono/zod-openapi';
import { PATH_COMPONENT, REPOSITORY_NAME, SHA256_DIGEST, TAG } from '../../lib/oci-distribution';
import { MAX_UPSTREAMS } from '../../lib/virtual-registries';
import { line, singleLine, text } from '../../lib/text';
import { pathName } from './common';

const name = () => z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_", "-"').check(singleLine);
/** A virtual registry's name is a path component of every pull address, so OCI's rule for one: pullable by every client. */
const virtualRegistryName = () =>
  z.string().min(1).max(255).regex(PATH_COMPONENT, 'lowercase letters and digits, separated by ".", "_", "__" or "-" (a path component of an OCI repository name)').check(singleLine);
/** A model as in a pull address. */
const repositoryName = () =>
  z.string().min(1).max(255).regex(REPOSITORY_NAME, 'an OCI repository name: lowercase letters and digits, separated by ".", "_", "__", "-" or "/"').check(singleLine);
const description = () => text().max(1024);

/** An http(s) URL without user or password (credentials go in `credential`); a pattern only, so the API's document says it all. */
const url = z
  .string()
  .max(2048)
  // No query nor fragment: the registry's API paths (`/v2/…`) are appended to it.
  .regex(/^https?:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?(?:\/[\x21\x22\x24-\x3e\x40-\x7e]*)?$/, 'must be an http:// or https:// URL without user, password, query or fragment')
  .check(singleLine);
const cacheValidityHours = z.number().int().min(0).max(87_600).openapi({ description: 'How long a cached tag is served before the upstream is asked again (0: always ask)' });

export const TenantParams = z.object({ tenant: pathName() });
export const UpstreamParams = TenantParams.extend({ upstream: pathName() });
export const VirtualRegistryParams = TenantParams.extend({ virtualRegistry: pathName() });

export const UpstreamCredentialSchema = z
  .object({
    kind: z.literal('basic').default('basic').openapi({ description: 'Only HTTP Basic for now; token kinds will follow' }),
    username: line().min(1).max(255),
    password: line().min(1).max(4096).openapi({ description: 'Write-only, stored encrypted' }),
  })
  .strict()
  .openapi('UpstreamCredential');

export const UpstreamSchema = z
  .object({
    id: z.uuid(),
    tenant: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    url: z.string(),
    cacheValidityHours: z.number().int(),
    credentialKind: z.string().openapi({ description: '`none` or `basic`' }),
    username: z.string().nullable(),
    hasCredentials: z.boolean().openapi({ description: 'Credentials are write-only: never shown' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Upstream');
export const UpstreamPageSchema = z.object({ items: z.array(UpstreamSchema), nextCursor: z.string().nullable() });

export const UpstreamCreateSchema = z
  .object({ name: name(), description: description().optional(), url, cacheValidityHours: cacheValidityHours.default(24), credential: UpstreamCredentialSchema.optional() })
  .strict()
  .openapi('UpstreamCreate');

export const UpstreamPatchSchema = z
  .object({
    description: description().optional(),
    url: url.optional(),
    cacheValidityHours: cacheValidityHours.optional(),
    credential: UpstreamCredentialSchema.nullable().optional().openapi({ description: 'A new credential; null removes it' }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'set at least one field' })
  .meta({ minProperties: 1 })
  .openapi('UpstreamPatch');

export const UpstreamCheckSchema = z
  .object({
    reachable: z.boolean(),
    authenticated: z.boolean().openapi({ description: 'False when the upstream refused the credential, or wants one and none is set' }),
    status: z.number().int().nullable().openapi({ description: "The upstream's HTTP status for /v2/; null when it did not answer" }),
    latencyMs: z.number().int().min(0),
    message: z.string(),
  })
  .openapi('UpstreamCheck');

export const VirtualRegistrySchema = z
  .object({
    id: z.uuid(),
    tenant: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    upstreams: z.array(z.object({ position: z.number().int(), upstream: z.string(), url: z.string() })).openapi({ description: 'In position order: position 1 is asked first' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('VirtualRegistry');
export const VirtualRegistryPageSchema = z.object({ items: z.array(VirtualRegistrySchema), nextCursor: z.string().nullable() });

export const VirtualRegistryCreateSchema = z.object({ name: virtualRegistryName(), description: description().optional() }).strict().openapi('VirtualRegistryCreate');
export const VirtualRegistryPatchSchema = z
  .object({ description: description().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'set at least one field' })
  .meta({ minProperties: 1 })
  .openapi('VirtualRegistryPatch');

/** The whole ordered list: each upstream once, each position once, at most five; issues name the entry (`body.2.position`). */
export const UpstreamListSchema = z
  .array(z.object({ upstream: pathName(), position: z.number().int().min(1).max(MAX_UPSTREAMS) }).strict())
  .superRefine((list, ctx) => {
    // Named per entry (`body.5`), not the whole body as `.max()` would.
    for (let i = MAX_UPSTREAMS; i < list.length; i++) ctx.addIssue({ code: 'custom', path: [i], message: `at most ${MAX_UPSTREAMS} upstreams` });
    const positions = new Set<number>();
    const names = new Set<string>();
    list.forEach((e, i) => {
      if (positions.has(e.position)) ctx.addIssue({ code: 'custom', path: [i, 'position'], message: `position ${e.position} is taken by an earlier entry` });
      if (names.has(e.upstream)) ctx.addIssue({ code: 'custom', path: [i, 'upstream'], message: `upstream "${e.upstream}" is listed twice` });
      positions.add(e.position);
      names.add(e.upstream);
    });
  })
  .meta({ maxItems: MAX_UPSTREAMS }) // the per-entry check above, in the API's document
  .openapi('VirtualRegistryUpstreams', { description: `Up to ${MAX_UPSTREAMS} upstreams of the tenant, positions 1–${MAX_UPSTREAMS}` });

export const CachePurgeQuery = z.object({
  name: repositoryName().optional().openapi({ description: "Only this model's entries (its manifests and blobs), e.g. `llm/llama-ft`" }),
});

export const CacheRemovalSchema = z
  .object({
    entries: z.number().int().min(0).openapi({ description: 'Cache entries removed' }),
    bytes: z.number().int().min(0).openapi({ description: 'The bytes those entries recorded' }),
    objects: z.number().int().min(0).openapi({ description: 'Stored objects deleted (those no remaining entry points to)' }),
  })
  .openapi('CacheRemoval');

/** A tag or a sha256 digest, as one pattern so that the document states it. */
const REFERENCE = new RegExp(`^(?:${TAG.source.slice(1, -1)}|${SHA256_DIGEST.source.slice(1, -1)})$`);

export const WarmRequestSchema = z
  .object({
    name: repositoryName().openapi({ description: 'The model as in a pull address (an OCI repository name), e.g. `acme/llama-ft`', example: 'acme/llama-ft' }),
    reference: z
      .string()
      .min(1)
      .max(128)
      .regex(REFERENCE, 'a tag or a sha256:<64 hex> digest')
      .check(singleLine)
      .openapi({ description: 'A tag or a `sha256:` digest', example: '1.2.0' }),
  })
  .openapi('WarmRequest');

export const WarmProgressSchema = z
  .object({
    status: z.enum(['resolving', 'fetching', 'done']),
    digest: z.string().nullable().openapi({ description: "The version's manifest digest, once resolved" }),
    blobsTotal: z.number().int().min(0),
    blobsDone: z.number().int().min(0),
    bytesTotal: z.number().int().min(0),
    bytesDone: z.number().int().min(0),
    blobsCached: z.number().int().min(0).openapi({ description: 'Blobs that were in the cache already' }),
    current: z.string().nullable().openapi({ description: 'The blob being fetched' }),
  })
  .openapi('WarmProgress');
