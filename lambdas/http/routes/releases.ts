import { Hono } from 'hono';

/** Routes under /releases (being built; see the issue tracker). */
export const releaseRoutes = new Hono();
