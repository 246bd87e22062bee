import { z } from '@hono/zod-openapi';
import { resourceName } from '../../lib/names';
import { line, singleLine } from '../../lib/text';
import { PageQuery } from './common';

/**
 * An http(s) URL with a host name (ASCII labels), an optional port and path: one pattern that the
 * document shows and the server enforces, so that every URL it admits is one the server takes.
 */
const HTTP_URL = /^https?:\/\/[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,4})?(\/[!-~]*)?$/;

export const TenantCreateSchema = z
  .object({
    name: resourceName.openapi({ example: 'my_tenant', description: 'Tenant id: lowercase, 1–255, [a-z0-9._-], starting alphanumeric' }),
    companyName: line().trim().min(1).max(255).openapi({ example: 'My Company' }),
    url: z.string().max(2048).check(singleLine).regex(HTTP_URL, 'must be an http(s) URL').openapi({ example: 'https://my-company.com', pattern: HTTP_URL.source }),
  })
  .strict()
  .openapi('TenantCreate');

export const TenantSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    companyName: z.string(),
    url: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Tenant');

export const TenantPageSchema = z
  .object({ items: z.array(TenantSchema), nextCursor: z.string().nullable() })
  .openapi('TenantPage');

export const TenantListQuery = PageQuery.extend({ namePrefix: line().max(255).optional() });
