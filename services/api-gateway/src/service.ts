import { listen, type Logger } from '@shipgate/kit';
import { createGatewayApp } from './app';
import type { GatewayConfig } from './config';
import { BillingPublisher } from './publisher';

/** A started api-gateway. */
export interface RunningGateway {
  /** Bound HTTP port. */
  readonly port: number;
  /** The RabbitMQ publisher (exposed for readiness and tests). */
  readonly publisher: BillingPublisher;
  /**
   * Graceful stop: readiness turns 503, the listener stops accepting, in-flight requests (proxied calls and
   * publishes waiting for their confirm) finish, then the RabbitMQ connection closes.
   */
  stop(): Promise<void>;
}

/**
 * Starts the RabbitMQ publisher (connecting in the background, reconnecting for as long as it runs) and
 * serves the gateway.
 *
 * @example const gw = await startGateway(loadConfig(process.env), createLogger('api-gateway'));
 */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningGateway> {
  const publisher = new BillingPublisher({
    url: config.AMQP_URL,
    queue: config.BILLING_QUEUE,
    confirmTimeoutMs: config.PUBLISH_TIMEOUT_MS,
    reconnectMinMs: config.RECONNECT_MIN_MS,
    reconnectMaxMs: config.RECONNECT_MAX_MS,
    log,
  });
  publisher.start();
  let shuttingDown = false;
  const app = createGatewayApp({
    inventoryUrl: config.INVENTORY_URL,
    proxyTimeoutMs: config.PROXY_TIMEOUT_MS,
    maxBodyBytes: config.MAX_BODY_BYTES,
    publisher,
    log,
    isShuttingDown: () => shuttingDown,
  });
  const http = await listen(app, config.PORT, config.HOST);
  log.info('listening', {
    port: http.port,
    host: config.HOST,
    inventory: new URL(config.INVENTORY_URL).host,
  });
  return {
    port: http.port,
    publisher,
    async stop() {
      shuttingDown = true;
      log.info('shutting down', { inFlightRequests: http.inFlight() });
      const { drained } = await http.close(config.SHUTDOWN_TIMEOUT_MS);
      await publisher.stop();
      log.info('stopped', { drained });
    },
  };
}
