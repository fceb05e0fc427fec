import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { EXTERNAL_URL_ENV, RABBITMQ_SERVER_BIN } from './availability';
import { freePort, makeServerTempDir, removeTempDir, spawnAs, TestServerError, waitFor } from './process';
import { startTcpRelay, type TcpRelay } from './proxy';

/** A RabbitMQ broker for one test file. */
export interface TestRabbit {
  /** AMQP URL (guest on loopback). */
  readonly url: string;
  /** True when the broker was started by this helper (false: external broker behind a relay). */
  readonly managed: boolean;
  /** Stops the broker (or cuts the relay): every client connection drops, new ones are refused. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data dir, so durable queues and persistent messages survive. */
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

async function canConnect(url: string): Promise<boolean> {
  const conn = await connect(url, { timeout: 1000 });
  await conn.close();
  return true;
}

async function startExternal(external: string): Promise<TestRabbit> {
  const target = new URL(external);
  const relay: TcpRelay = await startTcpRelay(target.hostname, Number(target.port || 5672));
  const viaRelay = new URL(external);
  viaRelay.hostname = '127.0.0.1';
  viaRelay.port = String(relay.port);
  const url = viaRelay.toString();
  await waitFor(`external RabbitMQ at ${target.host}`, () => canConnect(url), 60_000, 250);
  return {
    url,
    managed: false,
    stop: async () => relay.cut(),
    start: async () => relay.restore(),
    destroy: () => relay.close(),
  };
}

/**
 * Starts a throwaway RabbitMQ node on 127.0.0.1 from Debian's `rabbitmq-server`: its own node name, AMQP,
 * distribution and epmd ports, mnesia/log dirs, config file, HOME (so its own Erlang cookie) and no plugins.
 * When `SHIPGATE_TEST_AMQP_URL` is set it uses that broker instead, through a relay so stop/start still
 * simulate an outage. Booting takes a few seconds: share one per test file.
 *
 * @example const rabbit = await startRabbit(); await rabbit.stop(); await rabbit.start();
 */
export async function startRabbit(): Promise<TestRabbit> {
  const external = process.env[EXTERNAL_URL_ENV.rabbitmq];
  if (external) return startExternal(external);

  const dir = makeServerTempDir('shipgate-rabbit-');
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const node = `sg${randomBytes(4).toString('hex')}@localhost`;
  const configFile = join(dir, 'rabbitmq.conf');
  writeFileSync(
    configFile,
    [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      'loopback_users = none',
      'log.console = false',
      'log.file.level = info',
      // Tests fill nothing near these; defaults would refuse publishing on a nearly full /tmp disk.
      'disk_free_limit.absolute = 1MB',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const output = createWriteStream(join(dir, 'console.log'), { flags: 'a' });
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawnAs(RABBITMQ_SERVER_BIN, [], undefined, {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout?.pipe(output, { end: false });
    proc.stderr?.pipe(output, { end: false });
    let exited: number | null | undefined;
    proc.once('exit', (code) => {
      exited = code;
    });
    await waitFor(
      `RabbitMQ node ${node} on port ${port} (logs in ${dir})`,
      async () => {
        if (exited !== undefined)
          throw new TestServerError(`rabbitmq-server exited with ${exited}; see ${dir}`);
        return canConnect(url);
      },
      90_000,
      250,
    );
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    // SIGTERM to the wrapper script stops the node gracefully and waits for it.
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    managed: true,
    stop,
    start,
    destroy: async () => {
      try {
        await stop();
      } finally {
        // The Erlang VM started a private epmd on its own port; stop it too.
        spawnSync('epmd', ['-port', String(epmdPort), '-kill'], { env, stdio: 'ignore' });
        output.end();
        removeTempDir(dir);
      }
    },
  };
}
