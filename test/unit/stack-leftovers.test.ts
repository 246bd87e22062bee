import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordPid, stopLeftovers } from '../../scripts/stack-leftovers';
import { assertPortFree } from '../servers/ports';

/** Running, not a zombie this test has yet to reap. */
const alive = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A server left behind: in a process group of its own, as Keycloak's kc.sh, or ignoring SIGTERM. */
function leftover(script: string) {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  children.push(child.pid!);
  return ready(child.pid!);
}

/** Once its script has run up to its first child (its traps set by then), or `sh` became that child. */
async function ready(pid: number): Promise<number> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    const forked = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() !== '';
    if (forked || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sh') return pid;
  }
  throw new Error(`the script of ${pid} did not start`);
}

const children: number[] = [];
let dir: string;
afterEach(() => {
  for (const pid of children.splice(0)) if (alive(pid)) process.kill(-pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a stack that did not shut down', () => {
  it('has what it left running stopped at the next start, with the processes of its group, and its records forgotten', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pids-'));
    const keycloak = await leftover('sleep 300 & wait');
    const stubborn = await leftover('trap "" TERM; while :; do sleep 1; done');
    const jvm = Number(readFileSync(`/proc/${keycloak}/task/${keycloak}/children`, 'utf8').trim());
    expect(alive(jvm)).toBe(true);
    recordPid('keycloak', keycloak, { dir });
    recordPid('stubborn', stubborn, { dir });
    // The stack itself, dead: its record is forgotten, nothing is refused.
    writeFileSync(join(dir, 'stack'), '999999999 1\n');

    const stopped = await stopLeftovers({ dir, graceMs: 500 });
    expect(stopped.map((s) => s.name).sort()).toEqual(['keycloak', 'stubborn']);
    expect(alive(keycloak)).toBe(false);
    expect(alive(jvm)).toBe(false);
    expect(alive(stubborn)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops a server with the signal it was recorded with', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pids-'));
    const marker = join(dir, 'shut-down-cleanly');
    // As PostgreSQL: SIGTERM alone would leave it waiting for its clients; SIGINT is its fast shutdown.
    const postgres = await leftover(`trap "" TERM; trap "touch ${marker}; exit 0" INT; while :; do sleep 0.1; done`);
    recordPid('temporal-postgres', postgres, { dir, signal: 'SIGINT' });
    expect(await stopLeftovers({ dir, graceMs: 2_000 })).toEqual([{ name: 'temporal-postgres', pid: postgres }]);
    expect(alive(postgres)).toBe(false);
    // Its handler ran: it was not the SIGKILL after the grace period.
    expect(readdirSync(dir)).toEqual(['shut-down-cleanly']);
  });

  it('leaves alone a process that only reuses a recorded pid', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pids-'));
    const other = await leftover('sleep 300');
    writeFileSync(join(dir, 'oci-registry'), `${other} 1\n`);
    expect(await stopLeftovers({ dir })).toEqual([]);
    expect(alive(other)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to start while the recorded stack still runs, stopping nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pids-'));
    const registry = await leftover('sleep 300');
    recordPid('stack', process.pid, { dir });
    recordPid('oci-registry', registry, { dir });
    await expect(stopLeftovers({ dir })).rejects.toThrow(`a stack of this checkout runs already (pid ${process.pid})`);
    expect(alive(registry)).toBe(true);
  });
});

describe('a server asked for a port', () => {
  it('refuses one another program listens on, naming it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pids-'));
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await expect(assertPortFree(port, 'Keycloak')).rejects.toThrow(`Keycloak: port ${port} is in use by another program`);
    await new Promise((r) => server.close(r));
    await expect(assertPortFree(port, 'Keycloak')).resolves.toBeUndefined();
  });
});
