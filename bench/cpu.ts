/**
 * CPU time of the processes a benchmark runs, read from /proc: every live process under the given
 * roots, each counted with the reaped children it waited for (cutime/cstime), so PostgreSQL's
 * short-lived backends and a JVM's threads are all in. Sampled before and after a measured phase,
 * the difference is what that phase cost the machine, process by process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields are counted after the last ')'.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return { pid, ppid: Number(fields[1]), comm: text.slice(text.indexOf('(') + 1, close), ticks: utime! + stime! + cutime! + cstime! };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

/** A readable name: the script a node process runs, a PostgreSQL backend's database, else the command. */
function labelOf(stat: Stat): string {
  // A backend's title is "postgres: <user> <database> <client> <state>": the real Temporal server's databases share the cluster with the service's.
  if (stat.comm === 'postgres') {
    try {
      const database = /^postgres: \S+ (\S+) \d/.exec(readFileSync(`/proc/${stat.pid}/cmdline`, 'utf8'))?.[1];
      return database ? `postgres ${database}` : 'postgres';
    } catch {
      return 'postgres';
    }
  }
  if (stat.comm !== 'node') return stat.comm;
  try {
    const args = readFileSync(`/proc/${stat.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const script = args.slice(1).find((a) => /\.(ts|js|mjs)$/.test(a) && !a.includes('node_modules'));
    return script ? `node ${basename(script)}` : 'node';
  } catch {
    return 'node';
  }
}

/** Milliseconds of CPU per process label, over every process under `roots`; `own` names the calling process. */
export function sampleCpu(roots: number[], own = 'bench process'): Map<string, number> {
  const stats = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => readStat(Number(d))).filter((s) => s !== undefined);
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const result = new Map<string, number>();
  const seen = new Set<number>();
  const queue = roots.map((pid) => byPid.get(pid)).filter((s) => s !== undefined);
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (seen.has(s.pid)) continue;
    seen.add(s.pid);
    const label = s.pid === process.pid ? own : labelOf(s);
    result.set(label, (result.get(label) ?? 0) + (s.ticks * 1000) / TICKS_PER_SECOND);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return result;
}

/** What each process spent between two samples (ms), largest first, and their sum. */
export function cpuBetween(before: Map<string, number>, after: Map<string, number>): { total_ms: number; by_process_ms: Record<string, number> } {
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  // A process reaped by a parent of another label moves its time there: the total stays right.
  const spent = [...after].map(([label, ms]): [string, number] => [label, Math.round(ms - (before.get(label) ?? 0))]).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
  return { total_ms: Math.round(sum(after) - sum(before)), by_process_ms: Object.fromEntries(spent) };
}

/** One process's own CPU time so far (ms, with its reaped children's), 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  const stat = readStat(pid);
  return stat ? (stat.ticks * 1000) / TICKS_PER_SECOND : 0;
}

/**
 * Temporal's part of a CPU split by process: the dev server (`temporal`), or the real server
 * (`temporal-server`) with the PostgreSQL backends serving its databases (`temporal*`, test/servers/temporal-cluster.ts).
 */
export function temporalShareMs(byProcess: Record<string, number>): number {
  return Object.entries(byProcess)
    .filter(([label]) => label === 'temporal' || label === 'temporal-server' || label.startsWith('postgres temporal'))
    .reduce((sum, [, ms]) => sum + ms, 0);
}
