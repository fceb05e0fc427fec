import { BadRequestError } from '../shared/errors';
import { announceDeps } from '../domain/outcomes/announce';
import {
  checkManualRollback,
  manualRollbackPayloadSchema,
  startManualRollback,
  type ManualRollbackResult,
} from '../domain/rollback/manual';
import { rolloutDeps } from '../domain/rollout/deps';

/**
 * The rollback state machine's step (`POST /api/rollbacks` starts an execution per rollback):
 * - `{ action: 'start', rollbackId, taskToken, executionArn }` ("Start manual rollback" / "Await manual
 *   rollback", waitForTaskToken): starts the requested rollback, or parks the new token on the one in flight,
 *   and returns at once; the deployment event that ends it resumes the token (`rollout-events`);
 * - `{ action: 'check', rollbackId }` ("Check manual rollback"): looks once when no event came in time.
 * Its failures are recorded on the rollback entry, never thrown. No run waits for ECS.
 */
export const handler = async (event: unknown): Promise<ManualRollbackResult> => {
  const parsed = manualRollbackPayloadSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(
      `Invalid manual rollback payload: expected { action: 'start', rollbackId, taskToken, executionArn } or { action: 'check', rollbackId }`,
    );
  }
  const rollout = rolloutDeps();
  const deps = { rollout, announce: announceDeps({ config: rollout.config }) };
  const payload = parsed.data;
  return payload.action === 'start'
    ? startManualRollback(
        payload.rollbackId,
        { taskToken: payload.taskToken, executionArn: payload.executionArn },
        deps,
      )
    : checkManualRollback(payload.rollbackId, deps);
};
