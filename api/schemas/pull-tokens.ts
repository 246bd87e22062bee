import { z } from '@hono/zod-openapi';
import { pullTokenName, robotDurationDays } from '../../lib/names';
import { MAX_PULL_TOKEN_REGISTRIES, PULL_TOKEN_PREFIX } from '../../lib/pull-tokens';
import { text } from '../../lib/text';
import { pathName } from './common';
import { TenantParams } from './virtual-registries';

export const PullTokenParams = TenantParams.extend({ pullToken: pathName().openapi({ description: "The token's name (never the token itself)" }) });

export const PullTokenSchema = z
  .object({
    id: z.uuid(),
    tenant: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    virtualRegistries: z.array(z.string()).nullable().openapi({ description: 'The virtual registries it may pull from; null: every one of the tenant\'s' }),
    createdBy: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable().openapi({ description: 'null: never expires' }),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: 'The last pull with it, to the minute' }),
  })
  .openapi('PullToken');
export const PullTokenWithSecretSchema = PullTokenSchema.extend({
  token: z.string().openapi({ description: `Shown in this answer only; only its hash is stored. Starts with \`${PULL_TOKEN_PREFIX}\`` }),
}).openapi('PullTokenWithSecret');
export const PullTokenPageSchema = z.object({ items: z.array(PullTokenSchema), nextCursor: z.string().nullable() });

export const PullTokenCreateSchema = z
  .object({
    name: pullTokenName.openapi({ example: 'ci', description: 'Lowercase letters and digits joined by single `.`, `_` or `-`; unique among the tenant\'s unrevoked tokens' }),
    description: text().max(1024).optional(),
    durationDays: robotDurationDays.optional().openapi({ description: 'Days until it expires: 1–3650, or -1 (the default) never' }),
    virtualRegistries: z
      .array(pathName())
      .min(1)
      .max(MAX_PULL_TOKEN_REGISTRIES)
      .superRefine((names, ctx) => {
        const seen = new Set<string>();
        names.forEach((name, i) => {
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i], message: `virtual registry "${name}" is listed twice` });
          seen.add(name);
        });
      })
      .optional()
      .openapi({ description: "The tenant's virtual registries it may pull from (omitted: all of them, present and future)", example: ['models'] }),
  })
  .strict()
  .openapi('PullTokenCreate');
