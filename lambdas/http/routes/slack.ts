import { Hono } from 'hono';

/** Routes under /slack (being built; see the issue tracker). */
export const slackRoutes = new Hono();
