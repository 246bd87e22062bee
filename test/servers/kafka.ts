import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './ports';

const execFileAsync = promisify(execFile);
const ensureScript = fileURLToPath(new URL('../../scripts/ensure-kafka.sh', import.meta.url));
const START_TIMEOUT_MS = 120_000;

// Warnings only, except the one line that says the broker is up (it waits until it is unfenced).
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
const STARTED = /Kafka Server started/;

/**
 * A single-node KRaft Kafka (broker + controller) on free loopback ports, from the jars that
 * scripts/ensure-kafka.sh resolved, its store in a fresh temp dir. Ready once the broker logged
 * that it started and its port accepts connections. `crash` and `restart` make an outage on the same data.
 */
export async function startKafka(): Promise<{ bootstrap: string; stop(): Promise<void>; crash(): Promise<void>; restart(): Promise<void> }> {
  const libs = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  const dir = await mkdtemp(join(tmpdir(), 'modelregistry-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = join(dir, 'server.properties');
  await writeFile(
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
  await writeFile(join(dir, 'log4j2.yaml'), LOG4J2);
  // Small heap, and a JIT that favours start-up time: the broker lives for one test run on 2 cores.
  const java = [
    '-Xmx512m',
    '-Xms128m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.yaml')}`,
    '-cp',
    `${libs}/*`,
  ];
  // A cluster id is a base64url-encoded 16-byte UUID.
  // A KRaft cluster id is 16 bytes in base64url; one starting with '-' would be read as an option.
  let clusterId: string;
  do clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  while (clusterId.startsWith('-'));
  try {
    await execFileAsync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`Kafka storage format failed: ${e.stderr || e.stdout || e.message}`);
  }

  /** The broker on its data dir and ports: resolved once it logged that it started and its port accepts connections. */
  const launch = async () => {
    const broker = spawn('java', [...java, 'kafka.Kafka', properties], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => broker.once('exit', resolve));
    // Keep draining the pipes for the broker's whole life (a full pipe blocks it); remember only the tail for errors.
    let output = '';
    let started = false;
    let onStarted = () => {};
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-16_000);
      if (!started && STARTED.test(output)) {
        started = true;
        onStarted();
      }
    };
    broker.stdout.on('data', collect);
    broker.stderr.on('data', collect);
    const kill = async () => {
      if (broker.exitCode === null && broker.signalCode === null) broker.kill('SIGKILL');
      await exited;
    };
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Kafka did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        onStarted = () => {
          clearTimeout(timer);
          resolve();
        };
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`Kafka exited with ${code}`));
        });
      });
      await waitForPort(port, 10_000, 'Kafka');
    } catch (err) {
      await kill();
      throw new Error(`${(err as Error).message}\n${output}`);
    }
    return kill;
  };

  let kill: () => Promise<void>;
  try {
    kill = await launch();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    bootstrap: `127.0.0.1:${port}`,
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    /** Kills the broker the hard way (SIGKILL), keeping its data: an outage. */
    crash: () => kill(),
    /** Starts it again on the same data and ports, as after an outage. */
    async restart() {
      kill = await launch();
    },
  };
}
