/**
 * Prints a bearer token for the local stack (scripts/stack.sh). With Keycloak (the default stack) a
 * demo user's token by the password grant; with the lighter stack (--no-keycloak) one minted by the
 * local issuer with the roles asked for. Examples:
 *   npm run -s token -- --user alice                                  # Keycloak; password "demo"
 *   npm run -s token -- --user alice --tenant my_tenant --role admin  # local issuer
 *   npm run -s token -- --user ops --roles platform-admin             # local issuer
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    user: { type: 'string', default: 'alice' },
    password: { type: 'string', default: 'demo' },
    tenant: { type: 'string' },
    role: { type: 'string' },
    roles: { type: 'string', default: '' },
    ttl: { type: 'string', default: '3600' },
    issuer: { type: 'string' },
  },
});
const AUTH_FILE = '.data/stack-auth.json';
const stack = (existsSync(AUTH_FILE) ? JSON.parse(readFileSync(AUTH_FILE, 'utf8')) : { mode: 'local' }) as { mode: 'keycloak' | 'local'; issuer?: string; clientId?: string };

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function tokenFrom(url: string, init: RequestInit): Promise<string> {
  const res = await fetch(url, init).catch((err: unknown) => fail(`no token endpoint at ${url} (is the stack running?): ${(err as Error).message}`));
  const answer = (await res.json().catch(() => ({}))) as { access_token?: string; error_description?: string };
  if (!res.ok || !answer.access_token) fail(answer.error_description ?? `${url} answered ${res.status}`);
  return answer.access_token;
}

let token: string;
if (stack.mode === 'keycloak' && !values.issuer) {
  // Roles come from the user's Keycloak groups and realm roles, not from flags.
  if (values.tenant || values.role || values.roles) fail('the stack runs Keycloak: a token carries the roles of its user (see README, demo users); --tenant/--role/--roles are for the local issuer (stack.sh --no-keycloak)');
  token = await tokenFrom(`${stack.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: stack.clientId!, username: values.user, password: values.password, scope: 'openid' }),
  });
} else {
  const issuer = values.issuer ?? process.env.LOCAL_ISSUER_URL ?? stack.issuer ?? `http://127.0.0.1:${process.env.AUTH_ISSUER_PORT ?? 8091}`;
  token = await tokenFrom(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: values.user,
      ...(values.tenant ? { tenant: values.tenant, role: values.role ?? 'admin' } : {}),
      roles: values.roles.split(',').map((r) => r.trim()).filter(Boolean),
      ttlSeconds: Number(values.ttl),
    }),
  });
}
process.stdout.write(`${token}\n`);
