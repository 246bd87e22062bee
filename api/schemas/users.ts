import { z } from '@hono/zod-openapi';
import { PROJECT_ROLES } from '../../lib/membership';
import { singleLine } from '../../lib/text';
import { TENANT_ROLES } from '../../lib/users';
import { pathName } from './common';

/** Keycloak keeps usernames in lower case; these are the characters it takes without escaping, and its user profile's length (3–255). */
export const Username = z
  .string()
  .min(3)
  .max(255)
  .regex(/^[a-z0-9][a-z0-9._@-]*$/, 'lowercase letters, digits and . _ @ -, starting with a letter or digit')
  .check(singleLine)
  .openapi({ example: 'carol' });

/**
 * Keycloak's user profile refuses these characters in first and last names (its validator
 * person-name-prohibited-characters); refused here first, naming the field, instead of by Keycloak.
 */
const PersonName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^<>&"\v$%!#?§;*~/\\|^=[\]{}()\u0000-\u001f\u007f]+$/, 'must not contain any of < > & " $ % ! # ? § ; * ~ / \\ | ^ = [ ] { } ( ) nor control characters')
  .check(singleLine);

export const UserCreateSchema = z
  .object({
    username: Username,
    email: z.email().max(254).check(singleLine).openapi({ example: 'carol@my-company.com', pattern: z.regexes.email.source }),
    firstName: PersonName.optional(),
    lastName: PersonName.optional(),
    role: z.enum(TENANT_ROLES).default('guest').openapi({ description: 'Role in the whole tenant (group `/tenants/<tenant>/<role>`)' }),
  })
  // No password: Keycloak asks the user to set one (and verify the email) at the first sign-in.
  .strict()
  .openapi('UserCreate');

export const UserSchema = z
  .object({
    username: z.string(),
    email: z.string().nullable(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    enabled: z.boolean(),
    emailVerified: z.boolean(),
    requiredActions: z.array(z.string()).openapi({ description: 'What Keycloak asks at the next sign-in, e.g. UPDATE_PASSWORD, VERIFY_EMAIL' }),
    roles: z.array(z.enum(TENANT_ROLES)).openapi({ description: 'Roles in the whole tenant' }),
    projects: z.record(z.string(), z.array(z.enum(PROJECT_ROLES))).openapi({ description: 'Roles per project of the tenant', example: { 'my-first-project': ['developer'] } }),
  })
  .openapi('TenantUser');

export const UserPageSchema = z.object({ items: z.array(UserSchema), nextCursor: z.string().nullable() }).openapi('TenantUserPage');

export const UserRemovalSchema = z
  .object({
    username: z.string(),
    removedFrom: z.array(z.string()).openapi({ description: 'The tenant\'s groups the user left' }),
    accountDeleted: z.boolean().openapi({ description: 'True when this service had created the account and nothing else held it (no other group, no realm role), so it was deleted' }),
  })
  .openapi('TenantUserRemoval');

export const UserParams = z.object({ tenant: pathName(), username: Username });
