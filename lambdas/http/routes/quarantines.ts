import { Hono } from 'hono';
import * as z from '../../shared/zod';
import { liftQuarantine, listQuarantines } from '../../domain/ledger/quarantine';
import { formatIssues } from '../../shared/config';
import { BadRequestError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { requester } from './rollbacks';

const liftSchema = z.strictObject({
  service: z.string().check(z.minLength(1), z.maxLength(100)),
  digest: z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, 'expected an image digest such as sha256:…')),
  reason: z.string().check(z.minLength(1), z.maxLength(500)),
  /** Only where no API Gateway identity exists (the local sandbox); AWS takes the IAM caller. */
  by: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});

/**
 * Digest quarantine: `GET /api/quarantines` lists every quarantine (lifted ones with their lifts);
 * `POST /api/quarantines/lift` `{ service, digest, reason }` lifts one, recording the IAM caller (in the
 * sandbox, the stated `by`), the time and the reason. 404 when the digest was never quarantined, 409 when it
 * is lifted already.
 */
export const quarantineRoutes = new Hono()
  .get('/', async (c) => c.json({ quarantines: await listQuarantines() }))
  .post('/lift', async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      throw new BadRequestError('Expected a JSON body { "service", "digest", "reason" }');
    }
    const parsed = liftSchema.safeParse(json);
    if (!parsed.success) {
      throw new BadRequestError(`Invalid quarantine lift:\n${formatIssues(parsed.error.issues)}`);
    }
    const by = requester(c, parsed.data.by);
    const quarantine = await liftQuarantine(parsed.data.service, parsed.data.digest, {
      by,
      reason: parsed.data.reason,
      at: new Date().toISOString(),
    });
    // "service" is a reserved key of the Powertools logger (its own service name): serviceName instead.
    logger.info('Quarantine lifted', { serviceName: parsed.data.service, digest: parsed.data.digest, by });
    return c.json({ quarantine });
  });
