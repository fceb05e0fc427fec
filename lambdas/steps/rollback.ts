import { BadRequestError } from '../shared/errors';
import { rolloutDeps } from '../domain/rollout/deps';
import { rollbackRelease } from '../domain/rollout/rollback';
import { environmentImagesInputSchema, type RollbackResult } from '../domain/rollout/types';

/** Seconds kept free at the end of the Lambda's time for reporting. */
const SAFETY_SECONDS = 20;

/**
 * "Roll back <env>" (Lambda): payload `{ environment, release, images, error }`. Puts every service this
 * release changed in the environment back on its previous revision and waits (bounded by
 * `rollout.timeout` and the Lambda's remaining time). `{ rolledBack: [{ service, from, to }] }` or error
 * `RollbackFailed`.
 */
export const handler = async (
  event: unknown,
  context?: { getRemainingTimeInMillis?: () => number },
): Promise<RollbackResult> => {
  const parsed = environmentImagesInputSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(
      `Invalid rollback payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const deps = rolloutDeps();
  const now = deps.now().getTime();
  let deadline = now + deps.config.rollout.timeout * 1000;
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining !== undefined) deadline = Math.min(deadline, now + remaining - SAFETY_SECONDS * 1000);
  return rollbackRelease(parsed.data, deps, new Date(deadline));
};
