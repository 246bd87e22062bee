import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-kafka.sh', import.meta.url));

const LOG4J2 = `
Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: warn
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: info
`;

/**
 * A single-node KRaft Kafka broker (broker + controller) on free loopback ports, from the jars
 * scripts/ensure-kafka.sh resolved. Ready when the broker logs that it started.
 */
export async function startKafka(): Promise<{ bootstrap: string; stop(): Promise<void> }> {
  const libs = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'modelregistry-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'log4j2.yaml'), LOG4J2);
  const java = ['-Xmx512m', '-Xms256m', `-Dlog4j2.configurationFile=${join(dir, 'log4j2.yaml')}`, '-cp', `${libs}/*`];
  const clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  try {
    execFileSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`Kafka storage format failed: ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
  }
  const broker = spawn('java', [...java, 'kafka.Kafka', properties], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Kafka did not start within 120 s:\n${output.slice(-4000)}`)), 120_000);
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Kafka Server started|KafkaRaftServer.*started/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    broker.stdout.on('data', watch);
    broker.stderr.on('data', watch);
    broker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Kafka exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => broker.once('exit', r));
      broker.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
