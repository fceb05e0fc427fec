import { rolloutDeps } from '../domain/rollout/deps';
import { runRolloutTask, startRollout, type RolloutTaskResult } from '../domain/rollout/start';
import { feedbackForRolloutPayload } from '../domain/gitlab/stages';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Start rollout <env>" (Lambda, `waitForTaskToken`): payload `{ taskToken, executionArn, environment,
 * release, image }`. Starts the rollout and parks the token in DynamoDB; `rollout-events` (or
 * `await-rollout`) resumes the task with a `RolloutOutcome` or a `RolloutFailed` / `RolloutLocked` /
 * `ReleaseSuperseded` / `PromotionRefused` failure.
 */
export const handler = countReleaseErrors(
  'start-rollout',
  async (event: unknown): Promise<RolloutTaskResult> => {
    await feedbackForRolloutPayload(event); // GitLab shipgate/<env> + deployment running; best effort, never throws
    return runRolloutTask(event, startRollout, rolloutDeps());
  },
);
