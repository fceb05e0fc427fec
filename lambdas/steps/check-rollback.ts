import { BadRequestError } from '../shared/errors';
import { rolloutDeps } from '../domain/rollout/deps';
import { checkRollback } from '../domain/rollout/rollback-wait';
import { checkRolloutInputSchema, type CheckRollbackResult } from '../domain/rollout/types';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Check rollback <env>" (Lambda): payload `{ environment, release, image }`. One look at a rollback when no
 * deployment event arrived in time: `{ settled: true, result }`, `{ settled: false, elapsedSeconds }`, or
 * error `RollbackFailed` (failed, or still running after `rollout.timeout`).
 */
export const handler = countReleaseErrors(
  'check-rollback',
  async (event: unknown): Promise<CheckRollbackResult> => {
    const parsed = checkRolloutInputSchema.safeParse(event);
    if (!parsed.success) {
      throw new BadRequestError(
        `Invalid check-rollback payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return checkRollback(parsed.data, rolloutDeps());
  },
);
