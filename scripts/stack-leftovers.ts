import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertPortFree } from '../test/servers/ports';

/**
 * The servers the local stack runs outside its own process (the Temporal dev server, Keycloak, the
 * OCI registries) are recorded in `.data/pids` while they run. A stack that died without its shutdown
 * (kill -9, the OOM killer) leaves them holding their ports, and the next start would find them
 * answering and use them unseen, with their old settings and nobody to stop them: it stops them first.
 */
export const PIDS_DIR = '.data/pids';
/** The stack's own process: while it lives, another start of this checkout is refused, not fought. */
const STACK = 'stack';

/** /proc/<pid>/stat's fields after the command name (which may hold spaces): [0] the state, [19] the start time. */
function statOf(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** When the process started (clock ticks since boot): with the pid, it tells a recorded process from a later one that reuses its pid. */
const startTime = (pid: number) => statOf(pid)?.[19];

/** Still the process that started then, and not a zombie waiting for its parent. */
function runs(pid: number, started: string): boolean {
  const stat = statOf(pid);
  return stat !== undefined && stat[19] === started && stat[0] !== 'Z';
}

/**
 * `signal` is what stops the server cleanly: SIGTERM, or SIGINT for PostgreSQL, whose SIGTERM (a
 * smart shutdown) waits for its clients to leave.
 */
export function recordPid(name: string, pid: number, opts: { dir?: string; signal?: 'SIGTERM' | 'SIGINT' } = {}): void {
  const dir = opts.dir ?? PIDS_DIR;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `${pid} ${startTime(pid) ?? ''} ${opts.signal ?? 'SIGTERM'}\n`);
}

export function forgetPid(name: string, dir = PIDS_DIR): void {
  rmSync(join(dir, name), { force: true });
}

/** The recorded process, its start time and its stop signal, when it still runs (the same pid and start time). */
function stillRunning(dir: string, name: string): { pid: number; started: string; signal: NodeJS.Signals } | undefined {
  const [recorded, started, signal] = readFileSync(join(dir, name), 'utf8').trim().split(' ');
  const pid = Number(recorded);
  return Number.isInteger(pid) && pid > 0 && started && runs(pid, started) ? { pid, started, signal: signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM' } : undefined;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `first` to the process and its group when it leads one (Keycloak's kc.sh and its JVM), SIGKILL after `graceMs`. */
async function stop({ pid, started, signal: first }: { pid: number; started: string; signal: NodeJS.Signals }, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, sig);
      } catch {
        // Not a group leader, or gone already.
      }
    }
  };
  signal(first);
  const deadline = Date.now() + graceMs;
  while (runs(pid, started)) {
    if (Date.now() > deadline) {
      signal('SIGKILL');
      // Gone at once, unless the kernel is slow to reap it.
      for (let i = 0; i < 20 && runs(pid, started); i++) await pause(100);
      return;
    }
    await pause(100);
  }
}

/**
 * Stops what a stack that did not shut down left running, and forgets records of what is gone.
 * Throws while the recorded stack itself runs. Returns what it stopped.
 */
export async function stopLeftovers(opts: { dir?: string; graceMs?: number } = {}): Promise<{ name: string; pid: number }[]> {
  const dir = opts.dir ?? PIDS_DIR;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  if (names.includes(STACK)) {
    const pid = stillRunning(dir, STACK)?.pid;
    if (pid) throw new Error(`a stack of this checkout runs already (pid ${pid}): stop it first (Ctrl-C in its terminal, or kill -INT ${pid})`);
  }
  const stopped: { name: string; pid: number }[] = [];
  for (const name of names) {
    const running = stillRunning(dir, name);
    if (running && name !== STACK) {
      await stop(running, opts.graceMs ?? 10_000);
      stopped.push({ name, pid: running.pid });
    }
    forgetPid(name, dir);
  }
  return stopped;
}

// `tsx scripts/stack-leftovers.ts [<port>=<what>…]`: stack.sh's first step, before the Temporal dev server (whose ports it names).
if (import.meta.url === pathToFileURL(resolve(process.argv[1]!)).href) {
  try {
    for (const { name, pid } of await stopLeftovers()) console.log(`stack: stopped ${name} (pid ${pid}), left running by a stack that did not shut down`);
    for (const arg of process.argv.slice(2)) {
      const [port, what] = arg.split('=');
      await assertPortFree(Number(port), what!);
    }
  } catch (err) {
    console.error(`stack: ${(err as Error).message}`);
    process.exit(1);
  }
}
