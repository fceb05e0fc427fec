import { Hono } from 'hono';

/** Routes under /webhooks (being built; see the issue tracker). */
export const webhookRoutes = new Hono();
