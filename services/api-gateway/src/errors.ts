import { ServiceError } from '@shipgate/kit';

/** inventory-app could not be reached (connection refused, DNS, reset): answered 502. */
export class UpstreamUnavailableError extends ServiceError {}

/** inventory-app did not answer within PROXY_TIMEOUT_MS: answered 504. */
export class UpstreamTimeoutError extends ServiceError {}

/** RabbitMQ is not connected, or did not confirm the message: answered 503, nothing was accepted. */
export class BrokerUnavailableError extends ServiceError {}

/** The request body exceeds MAX_BODY_BYTES: answered 413. */
export class PayloadTooLargeError extends ServiceError {}
