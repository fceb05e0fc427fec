import { connect, type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import { errorFields, keepConnected, type ConnectionLoop, type Logger } from '@shipgate/kit';
import { declareBillingTopology } from '@shipgate/billing-contract';
import { BrokerUnavailableError } from './errors';

/** Settings of {@link BillingPublisher}. */
export interface BillingPublisherOptions {
  /** AMQP URL (holds credentials: never logged). */
  url: string;
  queue: string;
  /** How long to wait for the broker's confirm before answering 503. */
  confirmTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  log: Logger;
}

/**
 * Publishes billing orders as persistent messages on a confirm channel and resolves only once RabbitMQ
 * confirmed them (so an answered 202 means the broker owns the message). Messages are `mandatory`: one the
 * broker cannot route is returned and reported as a failure instead of vanishing. Keeps one connection,
 * re-established with exponential backoff when it drops.
 */
export class BillingPublisher {
  private conn?: ChannelModel;
  private channel?: ConfirmChannel;
  private stopping = false;
  private loop?: ConnectionLoop;
  private readonly returned = new Set<string>();

  constructor(private readonly opts: BillingPublisherOptions) {}

  /** True while a confirm channel is open. */
  isConnected(): boolean {
    return this.channel !== undefined;
  }

  /** Starts the connect-reconnect loop in the background. */
  start(): void {
    this.loop ??= keepConnected({
      what: 'amqp',
      connect: () => this.connect(),
      onDisconnected: () => {
        this.channel = undefined;
      },
      isStopping: () => this.stopping,
      minMs: this.opts.reconnectMinMs,
      maxMs: this.opts.reconnectMaxMs,
      log: this.opts.log,
    });
  }

  /**
   * Publishes `body` as JSON with the given message id (and the request id as correlation id); resolves
   * after the broker's confirm.
   * Throws {@link BrokerUnavailableError} when not connected, on a negative confirm, an unroutable message,
   * or no confirm within `confirmTimeoutMs` (the message may then still arrive: the message id lets the
   * consumer de-duplicate a retry).
   */
  async publish(body: unknown, messageId: string, correlationId?: string): Promise<void> {
    const ch = this.channel;
    if (!ch) {
      throw new BrokerUnavailableError(
        'RabbitMQ is not reachable right now; the order was NOT accepted. Retry later.',
      );
    }
    const content = Buffer.from(JSON.stringify(body));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new BrokerUnavailableError(
              `RabbitMQ did not confirm the order within ${this.opts.confirmTimeoutMs} ms; it may not have been accepted. Retry with the same Idempotency-Key.`,
            ),
          ),
        this.opts.confirmTimeoutMs,
      );
      try {
        ch.sendToQueue(
          this.opts.queue,
          content,
          {
            persistent: true,
            mandatory: true,
            contentType: 'application/json',
            messageId,
            correlationId,
            timestamp: Date.now(),
          },
          (err) => {
            clearTimeout(timer);
            const wasReturned = this.returned.delete(messageId);
            if (err) {
              reject(
                new BrokerUnavailableError('RabbitMQ refused the order (negative confirm); retry later.', {
                  cause: err,
                }),
              );
            } else if (wasReturned) {
              reject(
                new BrokerUnavailableError(
                  `RabbitMQ could not route the order to queue ${this.opts.queue}; it was NOT accepted. Retry later.`,
                ),
              );
            } else resolve();
          },
        );
      } catch (err) {
        clearTimeout(timer);
        reject(
          new BrokerUnavailableError('The RabbitMQ channel closed while publishing; retry later.', {
            cause: err,
          }),
        );
      }
    });
  }

  /** Stops reconnecting and closes the channel (waiting for outstanding confirms) and the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.loop?.wake();
    const ch = this.channel;
    this.channel = undefined;
    await ch?.waitForConfirms().catch(() => undefined);
    await ch?.close().catch(() => undefined);
    await this.conn?.close().catch(() => undefined);
    await this.loop?.done;
  }

  /** Connects and opens the confirm channel; resolves once the connection has closed again (see keepConnected). */
  private async connect(): Promise<Error | undefined> {
    const { log, queue } = this.opts;
    const conn = await connect(this.opts.url, {
      timeout: 5000,
      clientProperties: { connection_name: 'api-gateway' },
    });
    this.conn = conn;
    if (this.stopping) {
      // stop() ran while we were connecting: it could not close this connection.
      await conn.close().catch(() => undefined);
      throw new Error('stopped while connecting');
    }
    const closed = new Promise<Error | undefined>((resolve) => {
      let lastError: Error | undefined;
      conn.on('error', (err: Error) => {
        lastError = err;
      });
      conn.once('close', (err?: Error) => resolve(err ?? lastError));
    });
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', (err: Error) => log.warn('amqp channel error', errorFields(err)));
      ch.on('close', () => {
        if (this.channel === ch) this.channel = undefined;
        void conn.close().catch(() => undefined);
      });
      ch.on('return', (msg: Message) => {
        if (typeof msg.properties.messageId === 'string') this.returned.add(msg.properties.messageId);
      });
      await declareBillingTopology(ch, queue);
      if (this.stopping) throw new Error('stopping');
      this.channel = ch;
      log.info('amqp connected', { queue });
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw err;
    }
    return closed;
  }
}
