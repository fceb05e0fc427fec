import { createHash } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Hono, type Context } from 'hono';
import * as z from '../../shared/zod';
import { sfn } from '../../shared/clients/sfn';
import { BadRequestError, NotFoundError, ShipgateError, UnauthorizedError } from '../../shared/errors';
import { publicUrl } from '../../shared/links';
import { logger } from '../../shared/logger';
import { MAX_ROLLBACK_REASON, requestManualRollback, type RequestDeps } from '../../domain/rollback/request';
import { getRollback, listRollbacks, updateRollback, type RollbackEntry } from '../../domain/rollback/store';
import { ddb } from '../../shared/clients/dynamodb';
import { formatIssues, getConfig } from '../../shared/config';
import { tableName } from '../../shared/env';
import { RollbackFailed, RolloutLocked } from '../../domain/rollout/errors';

/** The rollback was recorded but its function could not be started (503: try again). */
export class RollbackNotStarted extends ShipgateError {
  static override readonly errorName: string = 'RollbackNotStarted';
  override readonly status: number = 503;
}

const bodySchema = z.strictObject({
  service: z.string().check(z.minLength(1), z.maxLength(100)),
  environment: z.string().check(z.minLength(1), z.maxLength(100)),
  reason: z.optional(z.string().check(z.maxLength(MAX_ROLLBACK_REASON))),
  /** Only where no API Gateway identity exists (the local sandbox); AWS takes the IAM caller. */
  by: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});

/** The IAM caller of an API Gateway (HTTP API, payload v2) request with IAM authorization, if any. */
function iamCaller(c: Context): string | undefined {
  const event = (c.env as { event?: { requestContext?: Record<string, unknown> } } | undefined)?.event;
  const iam = (
    event?.requestContext?.authorizer as { iam?: { userArn?: string; callerId?: string } } | undefined
  )?.iam;
  return iam?.userArn ?? iam?.callerId ?? undefined;
}

/**
 * Who asks: the IAM caller API Gateway authorized. Only the local sandbox, whose emulated authorizer admits
 * every loopback caller (`SHIPGATE_API_TRUSTS_BY=sandbox`), takes the `by` the caller states.
 * @throws UnauthorizedError when neither applies.
 */
export function requester(c: Context, stated: string | undefined): string {
  // The sandbox's emulated IAM authorizer admits every loopback caller as one sandbox identity, so there the
  // caller's own word is the better record.
  if (process.env.SHIPGATE_API_TRUSTS_BY === 'sandbox') {
    if (!stated) throw new BadRequestError('"by" (who asks) is required here.');
    return stated;
  }
  const caller = iamCaller(c);
  if (caller) return caller;
  throw new UnauthorizedError(
    'This action needs an IAM-authorized request (SigV4): the caller could not be identified, so nothing was changed.',
  );
}

/** Process defaults of accepting a rollback (DynamoDB and the config; no ECS here). */
function deps(): RequestDeps & { rollout: { ddb: typeof ddb; sfn: typeof sfn; table: string } } {
  return { rollout: { config: getConfig(), ddb, sfn, table: tableName(), now: () => new Date() } };
}

/** Execution name of a rollback (1–80 characters; the id when it fits, else a readable prefix and a hash). */
export function rollbackExecutionName(id: string): string {
  if (id.length <= 80) return id;
  return `${id.slice(0, 63)}-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

/**
 * Starts a requested rollback where it can run to the end: an execution of the rollback state machine
 * (`SHIPGATE_ROLLBACK_STATE_MACHINE_ARN`), which starts it and waits for ECS with a task token, as the
 * release's "Roll back <env>" does; this Lambda answers within API Gateway's limit. The sandbox serves the
 * same StartExecution call from its local state machines.
 */
async function dispatch(entry: RollbackEntry, d: ReturnType<typeof deps>): Promise<void> {
  const machine = process.env.SHIPGATE_ROLLBACK_STATE_MACHINE_ARN;
  const fail = async (why: string) => {
    await updateRollback(
      entry.id,
      'REQUESTED',
      {
        status: 'FAILED',
        finishedAt: d.rollout.now().toISOString(),
        error: { error: 'NotStarted', cause: why },
      },
      { ddb: d.rollout.ddb, table: d.rollout.table },
      why,
    );
    throw new RollbackNotStarted(`${why} The rollback was recorded as not started; nothing was deployed.`);
  };
  if (!machine) {
    return fail('SHIPGATE_ROLLBACK_STATE_MACHINE_ARN is not set, so the rollback cannot be started.');
  }
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machine,
        name: rollbackExecutionName(entry.id),
        input: JSON.stringify({ rollbackId: entry.id }),
      }),
    );
  } catch (err) {
    logger.error('Could not start the rollback state machine', {
      rollbackId: entry.id,
      error: err as Error,
    });
    return fail(`The rollback state machine could not be started (${(err as Error).name}).`);
  }
}

const view = (entry: RollbackEntry) => ({
  rollback: entry,
  links: { self: `${publicUrl()}/api/rollbacks/${encodeURIComponent(entry.id)}` },
});

/**
 * `POST /api/rollbacks` `{ service, environment, reason }`: manual rollback of a service to the digest
 * released there before the current one (what `shipgate rollback` does). Answers 202 with the recorded
 * request; `GET /api/rollbacks/:id` follows it to ROLLED_BACK or FAILED. 409 when there is nothing to go back
 * to or the rollout lock is held; nothing changes then. `GET /api/rollbacks` lists them, newest first.
 */
export const rollbackRoutes = new Hono()
  .post('/', async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      throw new BadRequestError('Expected a JSON body { "service", "environment", "reason" }');
    }
    const parsed = bodySchema.safeParse(json);
    if (!parsed.success)
      throw new BadRequestError(`Invalid rollback request:\n${formatIssues(parsed.error.issues)}`);
    const by = requester(c, parsed.data.by);
    const d = deps();
    let entry: RollbackEntry;
    try {
      entry = await requestManualRollback({ ...parsed.data, by }, d);
    } catch (err) {
      if (err instanceof RollbackFailed || err instanceof RolloutLocked) {
        return c.json({ error: err.message, code: err.name }, 409);
      }
      throw err;
    }
    await dispatch(entry, d);
    return c.json(view(entry), 202);
  })
  .get('/', async (c) => {
    const limit = Math.min(50, Math.max(1, Number(c.req.query('limit') ?? 20) || 20));
    return c.json({ rollbacks: await listRollbacks(limit, { ddb, table: tableName() }) });
  })
  .get('/:id', async (c) => {
    const entry = await getRollback(c.req.param('id'), { ddb, table: tableName() });
    if (!entry)
      throw new NotFoundError(
        `No rollback "${c.req.param('id').slice(0, 120)}"; GET /api/rollbacks lists them.`,
      );
    return c.json(view(entry));
  });
