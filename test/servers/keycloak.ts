import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-keycloak.sh', import.meta.url));
export const REALM_FILE = fileURLToPath(new URL('../keycloak/realm.json', import.meta.url));
export const REALM = 'model-registry';
const START_TIMEOUT_MS = 240_000;

/**
 * Keycloak in dev mode on a free loopback port with an in-memory database, so every start imports
 * test/keycloak/realm.json afresh. Ready once the realm's discovery document answers.
 */
export async function startKeycloak(): Promise<{ url: string; issuer: string; stop(): Promise<void> }> {
  const home = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  await mkdir(join(home, 'data', 'import'), { recursive: true });
  await copyFile(REALM_FILE, join(home, 'data', 'import', 'model-registry-realm.json'));
  const [port, managementPort] = [await freePort(), await freePort()];
  const child = spawn(
    join(home, 'bin', 'kc.sh'),
    ['start-dev', '--db=dev-mem', `--http-port=${port}`, `--http-management-port=${managementPort}`, '--http-host=127.0.0.1', '--import-realm', '--cache=local', '--log-level=warn'],
    {
      env: {
        ...process.env,
        KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
        KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin',
        // A JIT that favours start-up time and a modest heap: it lives for one test run on 2 cores.
        JAVA_OPTS_APPEND: '-XX:TieredStopAtLevel=1',
        JAVA_OPTS_KC_HEAP: '-Xms128m -Xmx768m',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const issuer = `${url}/realms/${REALM}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Keycloak exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
    if (ok) return { url, issuer, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Keycloak did not start within ${START_TIMEOUT_MS / 1000}s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
