import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Pool } from 'pg';
import { billingOrderSchema, declareBillingTopology } from '@shipgate/billing-contract';
import {
  errorFields,
  isConnectionError,
  keepConnected,
  type ConnectionLoop,
  type Logger,
} from '@shipgate/kit';
import { recordOrder } from './orders';

/** Settings of {@link BillingConsumer}. */
export interface BillingConsumerOptions {
  /** AMQP URL (holds credentials: never logged). */
  url: string;
  queue: string;
  /** Unacknowledged messages the broker may push at once. */
  prefetch: number;
  /** Reconnect backoff bounds. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Wait before requeueing a message whose insert failed because PostgreSQL was unreachable. */
  dbRetryDelayMs: number;
  db: Pool;
  log: Logger;
}

/** What happened to one delivery. */
export type Outcome = 'recorded' | 'duplicate' | 'dead-lettered' | 'requeued' | 'lost-channel';

/**
 * Consumes the billing queue: each valid message becomes one row in `orders` and is acknowledged only after
 * the insert committed. Malformed messages (not JSON, failing the schema, or rejected by a database
 * constraint) are `nack`ed without requeue, so RabbitMQ moves them to `<queue>.dlq`. A message whose insert
 * failed because PostgreSQL is unreachable is requeued after a delay. The connection is re-established with
 * exponential backoff whenever it drops (broker restart, network cut).
 */
export class BillingConsumer {
  private conn?: ChannelModel;
  private channel?: Channel;
  private consumerTag?: string;
  private stopping = false;
  private loop?: ConnectionLoop;
  private readonly inFlight = new Set<Promise<Outcome>>();

  constructor(private readonly opts: BillingConsumerOptions) {}

  /** True while a channel is open and consuming. */
  isConsuming(): boolean {
    return this.consumerTag !== undefined && !this.stopping;
  }

  /** Number of deliveries being processed right now. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Starts the connect-consume-reconnect loop in the background. */
  start(): void {
    this.loop ??= keepConnected({
      what: 'amqp',
      connect: () => this.connectAndConsume(),
      onDisconnected: () => {
        this.consumerTag = undefined;
        this.channel = undefined;
      },
      isStopping: () => this.stopping,
      minMs: this.opts.reconnectMinMs,
      maxMs: this.opts.reconnectMaxMs,
      log: this.opts.log,
    });
  }

  /**
   * Graceful stop: cancels the subscription (no new deliveries), waits for in-flight messages to be
   * recorded and acknowledged (up to `timeoutMs`), then closes the connection. Unprocessed prefetched
   * messages return to the queue when the channel closes.
   */
  async stop(timeoutMs: number): Promise<{ drained: boolean }> {
    this.stopping = true;
    this.loop?.wake();
    const { channel, consumerTag } = this;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
    this.consumerTag = undefined;
    const drained = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref()),
    ]);
    // Close the channel first: its close handshake is ordered after our acks on the same channel, whereas a
    // connection close can overtake acks still buffered in the client and the broker would requeue them.
    await this.channel?.close().catch(() => undefined);
    await this.conn?.close().catch(() => undefined);
    await this.loop?.done;
    return { drained };
  }

  /** Connects, declares the topology and subscribes; resolves once the connection has closed again. */
  private async connectAndConsume(): Promise<Error | undefined> {
    const { url, queue, prefetch, log } = this.opts;
    const conn = await connect(url, { timeout: 5000, clientProperties: { connection_name: 'billing-app' } });
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
      const ch = await conn.createChannel();
      // A channel-level error (e.g. a precondition failure) closes only the channel; restart everything.
      ch.on('error', (err: Error) => log.warn('amqp channel error', errorFields(err)));
      ch.on('close', () => void conn.close().catch(() => undefined));
      await declareBillingTopology(ch, queue);
      await ch.prefetch(prefetch);
      this.channel = ch;
      const { consumerTag } = await ch.consume(queue, (msg) => this.onDelivery(ch, msg), { noAck: false });
      this.consumerTag = consumerTag;
      if (this.stopping) await ch.cancel(consumerTag).catch(() => undefined);
      log.info('amqp consuming', { queue, prefetch });
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw err;
    }
    return closed;
  }

  private onDelivery(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled us (queue deleted); reconnecting re-declares it.
      this.opts.log.warn('amqp consumer cancelled by the broker', { queue: this.opts.queue });
      void this.conn?.close().catch(() => undefined);
      return;
    }
    const work = this.handle(ch, msg);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Processes one delivery; never throws. */
  private async handle(ch: Channel, msg: ConsumeMessage): Promise<Outcome> {
    const { log, db } = this.opts;
    const messageId = typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined;
    const correlationId =
      typeof msg.properties.correlationId === 'string' ? msg.properties.correlationId : undefined;
    // requestId: the api-gateway request that published it, for following one order across services.
    const meta = {
      messageId,
      requestId: correlationId,
      deliveryTag: msg.fields.deliveryTag,
      redelivered: msg.fields.redelivered,
    };
    const settle = (outcome: Outcome, fn: () => void): Outcome => {
      try {
        fn();
        return outcome;
      } catch (err) {
        // The channel died meanwhile: the broker redelivers the message; message_id keeps that idempotent.
        log.warn('could not settle message, it will be redelivered', { ...meta, ...errorFields(err) });
        return 'lost-channel';
      }
    };
    const deadLetter = (reason: string): Outcome => {
      log.warn('message dead-lettered', { ...meta, reason });
      return settle('dead-lettered', () => ch.nack(msg, false, false));
    };

    let body: unknown;
    try {
      body = JSON.parse(msg.content.toString('utf8'));
    } catch (err) {
      return deadLetter(`body is not JSON: ${(err as Error).message}`);
    }
    const parsed = billingOrderSchema.safeParse(body);
    if (!parsed.success) {
      return deadLetter(parsed.error.issues.map((i) => i.message).join('; '));
    }
    try {
      const result = await recordOrder(db, parsed.data, messageId);
      if (result.inserted)
        log.info('order recorded', { ...meta, orderId: result.id, userId: parsed.data.user_id });
      else log.info('duplicate message ignored', meta);
      return settle(result.inserted ? 'recorded' : 'duplicate', () => ch.ack(msg));
    } catch (err) {
      if (isConnectionError(err)) {
        log.warn('database unavailable, requeueing message', { ...meta, ...errorFields(err) });
        await new Promise((r) => setTimeout(r, this.opts.dbRetryDelayMs));
        return settle('requeued', () => ch.nack(msg, false, true));
      }
      // Data or constraint errors will fail the same way on every retry: park the message.
      return deadLetter(`database rejected the order: ${(err as Error).message}`);
    }
  }
}
