import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertPortFree } from '../test/servers/ports';

const ensureScript = fileURLToPath(new URL('./ensure-keycloak.sh', import.meta.url));
const START_TIMEOUT_MS = 240_000;

export interface KeycloakServerOptions {
  port: number;
  managementPort: number;
  /** The realm the caller waits for (discovery answers once it exists). */
  realm: string;
  /** Where the H2 database lives (kept across restarts); in memory when unset. */
  dataDir?: string;
  /** A realm file imported at start-up, through the distribution's data/import (tests only: that directory is shared). */
  importRealmFile?: string;
  /** The master realm's bootstrap administrator, created on the first start of a database. */
  admin: { username: string; password: string };
  /** Told kc.sh's pid as soon as it runs, before Keycloak is ready (the stack records it). */
  onSpawn?: (pid: number) => void;
}

export interface KeycloakServer {
  url: string;
  issuer: string;
  /** kc.sh's, which leads the process group of the JVM too. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Keycloak (the pinned distribution of scripts/ensure-keycloak.sh) in dev mode on loopback, for the
 * tests and the local stack. Ready once the discovery document of `realm` (or, before the realm
 * exists, of master) answers.
 */
export async function startKeycloakServer(opts: KeycloakServerOptions): Promise<KeycloakServer> {
  const home = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  // Readiness is a discovery document answering: another Keycloak on the port would pass for this one.
  await assertPortFree(opts.port, 'Keycloak');
  await assertPortFree(opts.managementPort, "Keycloak's management interface");
  const args = ['start-dev', `--http-port=${opts.port}`, `--http-management-port=${opts.managementPort}`, '--http-host=127.0.0.1', '--cache=local', '--log-level=warn'];
  if (opts.dataDir) {
    await mkdir(opts.dataDir, { recursive: true });
    args.push('--db=dev-file', `--db-url=jdbc:h2:file:${resolve(opts.dataDir)}/keycloakdb;NON_KEYWORDS=VALUE`);
  } else {
    args.push('--db=dev-mem');
  }
  if (opts.importRealmFile) {
    await mkdir(join(home, 'data', 'import'), { recursive: true });
    await copyFile(opts.importRealmFile, join(home, 'data', 'import', `${opts.realm}-realm.json`));
    args.push('--import-realm');
  }
  const child = spawn(join(home, 'bin', 'kc.sh'), args, {
    env: {
      ...process.env,
      KC_BOOTSTRAP_ADMIN_USERNAME: opts.admin.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: opts.admin.password,
      // A JIT that favours start-up time and a modest heap: this machine has 2 cores.
      JAVA_OPTS_APPEND: '-XX:TieredStopAtLevel=1',
      JAVA_OPTS_KC_HEAP: '-Xms128m -Xmx768m',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  opts.onSpawn?.(child.pid!);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const readyRealm = opts.importRealmFile ? opts.realm : 'master';
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Keycloak exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/realms/${readyRealm}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
    if (ok) return { url, issuer: `${url}/realms/${opts.realm}`, pid: child.pid!, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Keycloak did not start within ${START_TIMEOUT_MS / 1000}s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
