import { z } from 'zod';

/**
 * Harbor's and the seed's naming rule for tenants, projects and models: lowercase letters,
 * digits, `.`, `_`, `-`, starting with a letter or digit, 1–255 characters.
 */
export const RESOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,254}$/;

export const resourceName = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[a-z0-9]/, 'must start with a lowercase letter or digit')
  .regex(/^[a-z0-9._-]*$/, 'may contain only lowercase letters, digits, ".", "_" and "-"');
