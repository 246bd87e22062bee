import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** worker.ts in a process of its own, so that a test can kill it the hard way. */
export async function spawnWorker(env: Record<string, string>): Promise<{ child: ChildProcess; kill(): void; output(): string }> {
  // Its own process group: SIGKILL reaches tsx and node alike.
  const child = spawn(`${root}node_modules/.bin/tsx`, ['worker.ts'], { cwd: root, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 60_000);
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
  return {
    child,
    kill: () => process.kill(-child.pid!, 'SIGKILL'),
    output: () => output,
  };
}
