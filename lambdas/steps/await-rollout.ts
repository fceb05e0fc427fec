import { rolloutDeps } from '../domain/rollout/deps';
import { awaitRollout, runRolloutTask, type RolloutTaskResult } from '../domain/rollout/start';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Await rollout <env>" (Lambda, `waitForTaskToken`): same payload as `start-rollout`. Re-parks the new
 * token on the rollout in flight after `check-rollout` found it unsettled; resumes at once when it already
 * finished.
 */
export const handler = countReleaseErrors(
  'await-rollout',
  async (event: unknown): Promise<RolloutTaskResult> => runRolloutTask(event, awaitRollout, rolloutDeps()),
);
