import { createContextKey, type HandlerContext } from '@connectrpc/connect';
import { callerScopedKey, type AuthContext } from '../auth/context';
import { IdempotencyKeyHeader } from '../schemas/common';
import { parseAs } from './convert';

/** The caller, as the auth interceptor found it (absent on public RPCs). */
export const authKey = createContextKey<AuthContext | undefined>(undefined, { description: 'the caller' });

export function authOf(ctx: HandlerContext): AuthContext {
  const auth = ctx.values.get(authKey);
  if (!auth) throw new Error(`no auth context on ${ctx.method.name}: the RPC is missing from RPC_POLICIES`);
  return auth;
}

/** Who asks for a change, as workflows record it. */
export const actorOf = (ctx: HandlerContext) => {
  const { subject, username } = authOf(ctx).principal;
  return { subject, username };
};

/** The `idempotency-key` metadata, checked like REST's Idempotency-Key header, and scoped to the caller as it is. */
export const idempotencyKeyOf = (ctx: HandlerContext) =>
  callerScopedKey(authOf(ctx).principal.subject, parseAs(IdempotencyKeyHeader, { 'idempotency-key': ctx.requestHeader.get('idempotency-key') ?? undefined }, 'header')['idempotency-key']);
