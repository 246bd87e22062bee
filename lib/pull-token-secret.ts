import { createHash, randomBytes } from 'node:crypto';
import { PULL_TOKEN_PREFIX } from './pull-tokens';

/** A new pull token: the prefix and 256 random bits, URL-safe (a Basic password as it is). */
export const newPullToken = () => `${PULL_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

/** What is stored and looked up instead of the token (db/schema/pull-tokens.ts says why sha256 suffices). */
export const pullTokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest();
