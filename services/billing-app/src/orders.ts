import type { Pool } from 'pg';
import type { BillingOrder } from '@shipgate/billing-contract';

/**
 * Inserts an order (one statement, committed on return). With a `messageId` already recorded, inserts
 * nothing and reports `inserted: false`, so a redelivered message never bills twice.
 */
export async function recordOrder(
  db: Pool,
  order: BillingOrder,
  messageId?: string,
): Promise<{ inserted: true; id: string } | { inserted: false }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO orders (user_id, number_of_items, total_amount, message_id)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (message_id) DO NOTHING
     RETURNING id`,
    [order.user_id, Number(order.number_of_items), order.total_amount, messageId ?? null],
  );
  return rows[0] ? { inserted: true, id: rows[0].id } : { inserted: false };
}
