import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-postgres.sh', import.meta.url));
// PostgreSQL refuses to run as root; Debian's package creates this system user.
const OS_USER = 'postgres';

function asUser(args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [cmd, ...rest] = asRoot ? ['runuser', '-u', OS_USER, '--', ...args] : args;
  const result = spawnSync(cmd!, rest, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr || result.stdout}`);
}

/**
 * A throw-away PostgreSQL cluster on a free loopback port with a fresh `modelregistry_test`
 * database; durability is switched off because the cluster dies with the run.
 */
export async function startPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'modelregistry-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  asUser([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  asUser([join(bin, 'pg_ctl'), '-D', data, '-o', options, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
  asUser([join(bin, 'createdb'), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'modelregistry_test']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/modelregistry_test`,
    async stop() {
      asUser([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
