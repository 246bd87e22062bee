import { z } from '@hono/zod-openapi';
import { REGISTRY_TYPES } from '../../lib/registries';
import { line, singleLine, text } from '../../lib/text';

export const RemoteRegistrySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    registry: z.string().openapi({ description: 'The managed Harbor instance this is an endpoint of' }),
    harborRegistryId: z.number().int(),
    tenant: z.string().nullable().openapi({ description: 'The owning tenant; null: shared by every tenant' }),
    type: z.string(),
    url: z.string(),
    insecure: z.boolean(),
    description: z.string().nullable(),
    hasCredentials: z.boolean().openapi({ description: 'Credentials are write-only: never shown' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('RemoteRegistry');
export const RemoteRegistryPageSchema = z.object({ items: z.array(RemoteRegistrySchema), nextCursor: z.string().nullable() });

export const PingSchema = z
  .object({ reachable: z.boolean(), status: z.string(), latencyMs: z.number().int().min(0) })
  .openapi('RemoteRegistryPing');
export const RemoteRegistryWithPingSchema = RemoteRegistrySchema.extend({ ping: PingSchema }).openapi('RemoteRegistryWithPing');

/** An http(s) URL without user or password, as Harbor takes an endpoint's; a pattern only, so the API's document says it all. */
const url = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?(?:\/[\x21-\x7e]*)?$/, 'must be an http:// or https:// URL without user or password in it')
  .check(singleLine); // the document's pattern is the first regex: the URL's

export const CredentialsSchema = z
  .object({
    access_key: line().min(1).max(255).openapi({ description: 'e.g. the user name' }),
    access_secret: line().min(1).max(4096).openapi({ description: 'e.g. the password; write-only, stored encrypted' }),
  })
  .strict()
  .openapi('RemoteRegistryCredentials');

export const RemoteRegistryCreateSchema = z
  .object({
    name: z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_", "-"').check(singleLine),
    tenant: line().min(1).max(255).optional().openapi({ description: 'The owning tenant; absent: shared (platform administrators only)' }),
    type: z.enum(REGISTRY_TYPES),
    url,
    insecure: z.boolean().default(false),
    description: text().max(1024).optional(),
    credential: CredentialsSchema.optional(),
  })
  .strict()
  .openapi('RemoteRegistryCreate');

export const RemoteRegistryPatchSchema = z
  .object({ url: url.optional(), insecure: z.boolean().optional(), description: text().max(1024).optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'set at least one field' })
  .meta({ minProperties: 1 }) // the refine, in the API's document
  .openapi('RemoteRegistryPatch');
