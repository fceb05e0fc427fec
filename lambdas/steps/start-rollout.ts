import { rolloutDeps } from '../domain/rollout/deps';
import { runRolloutTask, startRollout, type RolloutTaskResult } from '../domain/rollout/start';

/**
 * "Start rollout <env>" (Lambda, `waitForTaskToken`): payload `{ taskToken, executionArn, environment,
 * release, image }`. Starts the rollout and parks the token in DynamoDB; `rollout-events` (or
 * `await-rollout`) resumes the task with a `RolloutOutcome` or a `RolloutFailed` / `RolloutLocked` /
 * `ReleaseSuperseded` / `PromotionRefused` failure.
 */
export const handler = async (event: unknown): Promise<RolloutTaskResult> =>
  runRolloutTask(event, startRollout, rolloutDeps());
