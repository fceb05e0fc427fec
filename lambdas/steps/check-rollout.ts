import { BadRequestError } from '../shared/errors';
import { rolloutDeps } from '../domain/rollout/deps';
import { checkRollout } from '../domain/rollout/start';
import { checkRolloutInputSchema, type CheckRolloutResult } from '../domain/rollout/types';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Check rollout <env>" (Lambda): payload `{ environment, release, image }`. One DescribeServices /
 * GetDeployment after no event came in time: `{ settled: true, outcome }`, `{ settled: false,
 * elapsedSeconds }`, or errors `RolloutFailed` / `RolloutStuck`.
 */
export const handler = countReleaseErrors(
  'check-rollout',
  async (event: unknown): Promise<CheckRolloutResult> => {
    const parsed = checkRolloutInputSchema.safeParse(event);
    if (!parsed.success) {
      throw new BadRequestError(
        `Invalid check-rollout payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return checkRollout(parsed.data, rolloutDeps());
  },
);
