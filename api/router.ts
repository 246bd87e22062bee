import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './auth/context';
import { validationHook } from './problem';

/** Every router of the API: the typed auth context, and zod failures answered as a 400 naming each field. */
export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
