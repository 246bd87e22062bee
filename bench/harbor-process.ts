/**
 * The Harbor emulator in a process of its own, as Harbor is to the service: a benchmark then
 * measures the registry service, not the emulator sharing its event loop. Prints one JSON line
 * with the address and credentials, and stops on SIGTERM.
 *
 *   npx tsx bench/harbor-process.ts <registry-url>
 */
import { startHarborEmulator } from '../test/harbor-emulator';

const harbor = await startHarborEmulator({ registryUrl: process.argv[2]!, validate: 'record' });
process.stdout.write(`${JSON.stringify({ url: harbor.url, username: harbor.username, password: harbor.password })}\n`);
process.on('SIGTERM', () => {
  void harbor.stop().finally(() => process.exit(0));
});
