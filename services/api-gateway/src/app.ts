import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import {
  type ErrorBody,
  errorFields,
  InvalidRequestError,
  type Logger,
  normalizeErrors,
  readJsonBody,
  requestLogger,
  validate,
} from '@shipgate/kit';
import { billingOrderSchema } from '@shipgate/billing-contract';
import {
  BrokerUnavailableError,
  PayloadTooLargeError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors';
import { proxyRequest, upstreamUrl } from './proxy';

/** What the gateway app needs. */
export interface GatewayAppDeps {
  inventoryUrl: string;
  proxyTimeoutMs: number;
  maxBodyBytes: number;
  publisher: {
    publish(body: unknown, messageId: string, correlationId?: string): Promise<void>;
    isConnected(): boolean;
  };
  log: Logger;
  isShuttingDown: () => boolean;
}

const idempotencyKeySchema = z
  .string()
  .regex(/^[\w.:-]{1,200}$/, 'Idempotency-Key must be 1-200 letters, digits or _ . : -');

/**
 * Builds the edge API: `/api/movies*` proxied to inventory-app; `POST /api/billing` validated and
 * published to RabbitMQ (202 once confirmed); `/healthz`; `/readyz` (inventory-app and RabbitMQ reachable).
 *
 * @example const app = createGatewayApp({ inventoryUrl: 'http://inventory-app:8080', publisher, ... });
 */
export function createGatewayApp(deps: GatewayAppDeps): Hono {
  const { log } = deps;
  const app = new Hono();
  app.use(requestLogger(log));
  app.use(normalizeErrors());

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (deps.isShuttingDown()) return c.json({ status: 'shutting_down', checks: {} }, 503);
    const checks: Record<string, string> = {
      rabbitmq: deps.publisher.isConnected() ? 'ok' : 'not connected (reconnecting with backoff)',
    };
    try {
      const res = await fetch(upstreamUrl(deps.inventoryUrl, '/healthz'), {
        signal: AbortSignal.timeout(2000),
      });
      checks.inventory = res.ok ? 'ok' : `unhealthy: /healthz answered ${res.status}`;
    } catch (err) {
      const e = err as { message?: string; cause?: { code?: string } };
      checks.inventory = `unreachable: ${e.cause?.code ?? e.message ?? String(err)}`;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });

  const proxy = (c: Context) =>
    proxyRequest(c.req.raw, {
      upstream: deps.inventoryUrl,
      timeoutMs: deps.proxyTimeoutMs,
      maxBodyBytes: deps.maxBodyBytes,
      upstreamName: 'inventory-app',
      requestId: c.get('requestId'),
    });
  app.all('/api/movies', proxy);
  app.all('/api/movies/*', proxy);

  app.post('/api/billing', async (c) => {
    const order = validate(billingOrderSchema.strict(), await readJsonBody(c), 'billing order');
    const key = c.req.header('idempotency-key');
    const messageId =
      key === undefined ? randomUUID() : validate(idempotencyKeySchema, key, 'Idempotency-Key header');
    const requestId = c.get('requestId');
    await deps.publisher.publish(order, messageId, requestId);
    log.info('billing order published', { messageId, requestId, userId: order.user_id });
    return c.json({ status: 'accepted', messageId }, 202);
  });

  app.notFound((c) =>
    c.json(
      {
        error: 'not_found',
        message: `No route ${c.req.method} ${c.req.path}. Routes: /api/movies[/:id], POST /api/billing.`,
      } satisfies ErrorBody,
      404,
    ),
  );
  app.onError((err, c) => {
    const reply = (status: ContentfulStatusCode, error: string, extra: Partial<ErrorBody> = {}) =>
      c.json({ error, message: err.message, ...extra } satisfies ErrorBody, status);
    if (err instanceof InvalidRequestError) return reply(400, 'invalid_request', { issues: err.issues });
    if (err instanceof PayloadTooLargeError) return reply(413, 'payload_too_large');
    if (err instanceof UpstreamUnavailableError) {
      log.error('upstream unavailable', errorFields(err));
      return reply(502, 'bad_gateway');
    }
    if (err instanceof UpstreamTimeoutError) {
      log.error('upstream timeout', errorFields(err));
      return reply(504, 'gateway_timeout');
    }
    if (err instanceof BrokerUnavailableError) {
      log.error('billing publish failed', errorFields(err));
      return reply(503, 'service_unavailable');
    }
    log.error('unhandled error', { ...errorFields(err), method: c.req.method, path: c.req.path });
    return c.json({ error: 'internal_error', message: 'Unexpected error; it has been logged.' }, 500);
  });
  return app;
}
