import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import * as z from '../../shared/zod';
import { describeRelease, listReleaseViews } from '../../domain/releases/status';
import { formatIssues } from '../../shared/config';
import { BadRequestError } from '../../shared/errors';

const listQuery = z.object({
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/**
 * `GET /api/releases` (newest first; `?limit=1..100`, `?cursor=<nextCursor>`) and `GET /api/releases/:id`
 * (one release refined with its execution's live state): JSON status of releases — state, current step,
 * per-environment outcome, links.
 */
export const releaseRoutes = new Hono()
  .get(
    '/',
    zValidator('query', listQuery, (result) => {
      if (!result.success) {
        throw new BadRequestError(`Invalid query:\n${formatIssues(result.error.issues)}`);
      }
    }),
    async (c) => c.json(await listReleaseViews(c.req.valid('query'))),
  )
  .get('/:id', async (c) => c.json(await describeRelease(c.req.param('id'))));
