import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-schemathesis.sh', import.meta.url));
const hooksFile = fileURLToPath(new URL('./fuzz-hooks.py', import.meta.url));
const configFile = fileURLToPath(new URL('./fuzz.toml', import.meta.url));

/** One schemathesis run over the whole document; its exit code and everything it printed. */
function schemathesis(bin: string, url: string, token: string, tenant: string): Promise<{ code: number; output: string }> {
  const args = [
    '--config-file', configFile,
    'run', `${url}/openapi.json`,
    '-H', `Authorization: Bearer ${token}`,
    // Every check, ignored_auth included: it sends each secured operation without and with a
    // wrong token and wants 401, which is what the middleware answers. The webhook receiver is
    // declared without security (it checks the project's own secret), so the check skips it and
    // it is fuzzed with the bearer token as a wrong secret.
    '--checks', 'all',
    // Bounds for CI: a few cases per operation and phase, a fixed seed so that a failure
    // reproduces with the same command, and no example database carried between runs. One
    // worker: Python 3.11's ast.parse (Hypothesis describing its lambdas) breaks under threads.
    '--max-examples', '5',
    '--workers', '1',
    // A mutation may wait for its workflow up to the test app's MUTATION_WAIT_MS (20 s) before 202.
    '--max-response-time', '25',
    '--seed', '20260112',
    '--generation-database', 'none',
    '--request-timeout', '30',
    '--no-color',
    '--report', 'junit',
    '--report-dir', mkdtempSync(join(tmpdir(), 'schemathesis-')),
  ];
  return new Promise((resolve) => {
    // 59 operations (replication rules, approval, promotion and sync joined) on a shared 2-core machine: its coverage phase alone took 210 s.
    execFile(bin, args, { maxBuffer: 64 * 1024 * 1024, timeout: 420_000, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: hooksFile, FUZZ_TENANT: tenant } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

describe('the OpenAPI document and the server agree (schemathesis, every check)', () => {
  let stack: TestStack;
  let bin: string;
  let tenant: string;
  beforeAll(async () => {
    bin = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
    stack = await startTestStack({ receiveWebhooks: true });
    // Something to hit: a tenant with an onboarded project (names the fuzzer meets only by chance,
    // but the lists and the tenant user's reads have rows to return).
    tenant = await createTenant(stack, { name: uniqueName('fuzz') });
    await onboardProject(stack, tenant, { name: uniqueName('fuzz') });
  });
  afterAll(() => stack?.close());

  it('finds no failure with a platform administrator\'s token', async () => {
    const { code, output } = await schemathesis(bin, stack.apiUrl!, stack.auth.adminToken, tenant);
    expect(code, output).toBe(0);
  }, 480_000);

  it('finds no failure with a tenant developer\'s token', async () => {
    const token = await stack.auth.token({ username: 'fuzz-developer', tenant, role: 'developer', ttlSeconds: 3600 });
    const { code, output } = await schemathesis(bin, stack.apiUrl!, token, tenant);
    expect(code, output).toBe(0);
  }, 480_000);
});
