/**
 * Prints a bearer token from the local stack's issuer (started by scripts/stack.sh when AUTH_ISSUER
 * is unset). Examples:
 *   npm run -s token -- --user alice --tenant my_tenant --role admin
 *   npm run -s token -- --user ops --roles platform-admin
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    user: { type: 'string', default: 'alice' },
    tenant: { type: 'string' },
    role: { type: 'string' },
    roles: { type: 'string', default: '' },
    ttl: { type: 'string', default: '3600' },
    issuer: { type: 'string', default: process.env.LOCAL_ISSUER_URL ?? `http://127.0.0.1:${process.env.AUTH_ISSUER_PORT ?? 8091}` },
  },
});
const body = {
  username: values.user,
  ...(values.tenant ? { tenant: values.tenant, role: values.role ?? 'admin' } : {}),
  roles: values.roles.split(',').map((r) => r.trim()).filter(Boolean),
  ttlSeconds: Number(values.ttl),
};
const res = await fetch(`${values.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch((err: unknown) => {
  console.error(`no local issuer at ${values.issuer} (is the stack running?): ${(err as Error).message}`);
  process.exit(1);
});
const answer = (await res.json()) as { access_token?: string; error_description?: string };
if (!res.ok || !answer.access_token) {
  console.error(answer.error_description ?? `issuer answered ${res.status}`);
  process.exit(1);
}
process.stdout.write(`${answer.access_token}\n`);
