import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP relay whose link to the target can be cut and restored, to simulate an outage. */
export interface TcpRelay {
  /** Port the relay listens on (127.0.0.1). */
  readonly port: number;
  /** Destroys every relayed connection and refuses new ones until {@link TcpRelay.restore}. */
  cut(): void;
  /** Accepts and relays connections again. */
  restore(): void;
  /** Closes the relay for good. */
  close(): Promise<void>;
}

/**
 * Starts a TCP relay on 127.0.0.1 forwarding to `host:port`. Used when the tests run against servers they
 * do not control (GitLab CI `services:`), so "stop the database" / "restart the broker" still mean the
 * application loses its connections and cannot reconnect until the relay is restored.
 *
 * @example const relay = await startTcpRelay('rabbitmq', 5672); relay.cut(); relay.restore();
 */
export async function startTcpRelay(host: string, port: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host, port });
    sockets.add(client);
    sockets.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const relayPort = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port: relayPort,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close() {
      open = false;
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
