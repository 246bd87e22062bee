import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { assertPortFree, freePort, waitForPort } from './ports';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-registry.sh', import.meta.url));

const BCRYPT_SALT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A bcrypt hash of `password`, as distribution's htpasswd accepts, made by the system's crypt(3)
 * (libxcrypt, through perl, which every Debian has): Node has no bcrypt of its own.
 */
export function bcryptHash(password: string): string {
  const salt = [...randomBytes(22)].map((b) => BCRYPT_SALT_ALPHABET[b % 64]).join('');
  const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$10$${salt}`], { encoding: 'utf8' });
  if (!hash.startsWith('$2b$10$')) throw new Error('crypt(3) made no bcrypt hash (libxcrypt without bcrypt?)');
  return hash;
}

export interface OciRegistry {
  url: string;
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A real OCI distribution registry (Debian's docker-registry) on loopback, deletes enabled; by default
 * on a free port with storage in a temp dir that `stop()` removes, or in `dataDir` (kept, its
 * configuration in `<dataDir>/config`) for the local stack.
 * With `auth`, every request needs those HTTP Basic credentials (distribution's htpasswd auth), as a
 * remote registry replicated to or from would.
 */
export async function startOciRegistry(opts: { port?: number; dataDir?: string; auth?: { username: string; password: string }; tls?: boolean } = {}): Promise<OciRegistry> {
  const bin = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  // The stack's registries keep their configuration beside their data, not in a temp dir that a
  // stack killed before its shutdown would leave behind on every start.
  const dir = opts.dataDir ? join(opts.dataDir, 'config') : mkdtempSync(join(tmpdir(), 'modelregistry-oci-'));
  if (opts.dataDir) mkdirSync(dir, { recursive: true });
  // A port asked for (the stack's) may be held by another registry, which would pass for this one.
  if (opts.port) await assertPortFree(opts.port, 'docker-registry');
  const port = opts.port ?? (await freePort());
  const instance = randomBytes(8).toString('hex');
  const config = join(dir, 'config.yml');
  const htpasswd = join(dir, 'htpasswd');
  if (opts.auth) writeFileSync(htpasswd, `${opts.auth.username}:${bcryptHash(opts.auth.password)}\n`);
  // With `tls`, a self-signed certificate nobody trusts: what a remote registry marked `insecure` is.
  const [cert, key] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
  if (opts.tls) execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      // As distribution's default config: blob descriptors from memory, not a stat per lookup.
      '  cache:',
      '    blobdescriptor: inmemory',
      '  filesystem:',
      `    rootdirectory: ${opts.dataDir ?? join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      // Ours, not another registry that took the free port between our look and our bind.
      '  headers:',
      `    X-Registry-Instance: [${instance}]`,
      ...(opts.tls ? ['  tls:', `    certificate: ${cert}`, `    key: ${key}`] : []),
      ...(opts.auth ? ['auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${htpasswd}`] : []),
    ].join('\n'),
  );
  const child = spawn(bin, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await waitForPort(port, 15_000, 'docker-registry');
    const seen = await fetch(`${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/v2/`, { dispatcher: opts.tls ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined });
    await seen.body?.cancel();
    if (seen.headers.get('x-registry-instance') !== instance) throw new Error(`port ${port} is another server's (docker-registry exited: ${child.exitCode ?? child.signalCode ?? 'no'})`);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      // The stack's Ctrl-C reaches the registry too: it may have exited already.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
