import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import * as z from '../../shared/zod';
import { doraReport } from '../../domain/ledger/report';
import { formatIssues } from '../../shared/config';
import { BadRequestError } from '../../shared/errors';

const doraQuery = z.strictObject({
  environment: z._default(z.string().check(z.minLength(1), z.maxLength(100)), 'production'),
  window: z._default(z.string().check(z.minLength(2), z.maxLength(8)), '30d'),
  service: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
});

/**
 * `GET /api/metrics/dora?environment=production&window=30d[&service=<name>]`: the DORA figures of one
 * environment over a window ending now, overall and per service, with daily and weekly buckets and each
 * figure's performance level (`DoraReport`, lambdas/domain/ledger/dora.ts).
 */
export const metricsRoutes = new Hono().get(
  '/dora',
  zValidator('query', doraQuery, (result) => {
    if (!result.success) throw new BadRequestError(`Invalid query:\n${formatIssues(result.error.issues)}`);
  }),
  async (c) => c.json(await doraReport(c.req.valid('query'))),
);
