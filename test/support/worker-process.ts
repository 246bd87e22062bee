import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * worker.ts, the production entry point, in a process of its own: a test can kill it the hard way,
 * a benchmark runs it as it is deployed. `nodeArgs` go to node (e.g. `--cpu-prof`).
 */
export async function spawnWorker(
  env: Record<string, string>,
  opts: { nodeArgs?: string[] } = {},
): Promise<{ child: ChildProcess; kill(): void; stop(): Promise<void>; output(): string }> {
  // Its own process group: a signal reaches every process it started.
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', 'worker.ts'], { cwd: root, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  await started;
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, name);
  };
  return {
    child,
    kill: () => signal('SIGKILL'),
    /** A graceful shutdown (SIGTERM: in-flight tasks drain), resolved once it has exited. */
    async stop() {
      signal('SIGTERM');
      await exited;
    },
    output: () => output,
  };
}
