import type { Channel } from 'amqplib';

/** Names derived from the billing queue name. */
export function deadLetterNames(queue: string): { exchange: string; queue: string } {
  return { exchange: `${queue}.dlx`, queue: `${queue}.dlq` };
}

/**
 * Declares the durable billing queue with its dead-letter exchange and `<queue>.dlq`. The gateway declares
 * the very same arguments (RabbitMQ refuses a re-declaration with different ones), so whichever starts
 * first creates it.
 *
 * @example await declareBillingTopology(channel, 'billing_queue');
 */
export async function declareBillingTopology(ch: Channel, queue: string): Promise<void> {
  const dl = deadLetterNames(queue);
  await ch.assertExchange(dl.exchange, 'direct', { durable: true });
  await ch.assertQueue(dl.queue, { durable: true });
  await ch.bindQueue(dl.queue, dl.exchange, dl.queue);
  await ch.assertQueue(queue, {
    durable: true,
    deadLetterExchange: dl.exchange,
    deadLetterRoutingKey: dl.queue,
  });
}
