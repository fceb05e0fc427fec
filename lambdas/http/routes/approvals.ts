import { Hono } from 'hono';

/** Routes under /approvals (being built; see the issue tracker). */
export const approvalRoutes = new Hono();
