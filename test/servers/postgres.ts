import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

const execFileAsync = promisify(execFile);
const ensureScript = fileURLToPath(new URL('../../scripts/ensure-postgres.sh', import.meta.url));
// PostgreSQL refuses to run as root; Debian's package creates this system user (ensure-postgres.sh checks).
const OS_USER = 'postgres';
const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL tool as OS_USER (when we are root), in `cwd` so that it can read its working directory. */
async function run(args: string[], cwd: string): Promise<void> {
  const argv = asRoot ? ['runuser', '-u', OS_USER, '--', ...args] : args;
  try {
    await execFileAsync(argv[0]!, argv.slice(1), { cwd });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/**
 * A throw-away PostgreSQL cluster on a free loopback port with a fresh `modelregistry_test`
 * database; durability is switched off because the cluster dies with the run. With `dataDir` the
 * cluster lives there instead and outlives `stop()` (initialised on first use, durable), on `port`
 * when given: the local stack's own PostgreSQL for the real Temporal server.
 */
export async function startPostgres(opts: { dataDir?: string; port?: number } = {}): Promise<{ url: string; pid(): Promise<number>; stop(): Promise<void> }> {
  const bin = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  const keep = opts.dataDir !== undefined;
  const dir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'modelregistry-pg-')));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  const pgCtl = (...args: string[]) => run([join(bin, 'pg_ctl'), '-D', data, ...args], dir);
  const removeDir = () => (keep ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  try {
    await mkdir(dir, { recursive: true });
    if (asRoot) {
      const id = (flag: string) => Number(execFileSync('id', [flag, OS_USER], { encoding: 'utf8' }).trim());
      await chown(dir, id('-u'), id('-g'));
    }
    const port = opts.port ?? (await freePort());
    const fresh = !existsSync(join(data, 'PG_VERSION'));
    if (fresh) await run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C.UTF-8'], dir);
    const options = [
      'listen_addresses=127.0.0.1',
      `port=${port}`,
      `unix_socket_directories=${dir}`,
      'synchronous_commit=off',
      'max_connections=200',
      ...(keep ? [] : ['fsync=off', 'full_page_writes=off']),
    ];
    await pgCtl('-o', options.map((o) => `-c ${o}`).join(' '), '-l', log, '-w', '-t', '60', 'start');
    if (fresh) await run([join(bin, 'createdb'), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'modelregistry_test'], dir);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/modelregistry_test`,
      /** The postmaster's pid (pg_ctl daemonises it: it is no child of ours), for benchmarks reading /proc. */
      pid: async () => Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]),
      async stop() {
        await pgCtl('-m', keep ? 'fast' : 'immediate', 'stop');
        await removeDir();
      },
    };
  } catch (err) {
    const serverLog = await readFile(log, 'utf8').catch(() => '');
    // pg_ctl may have launched the server before it gave up waiting.
    await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
    await removeDir();
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}${serverLog && `\nserver log:\n${serverLog}`}`);
  }
}
