/**
 * @shipgate/billing-contract — the one definition of the message api-gateway publishes and billing-app
 * consumes: the order's schema and the queue topology (durable queue, dead-letter exchange and queue) that
 * both sides declare with identical arguments.
 */
export { billingOrderSchema, type BillingOrder } from './order';
export { declareBillingTopology, deadLetterNames } from './topology';
