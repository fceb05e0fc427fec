import { rolloutDeps } from '../domain/rollout/deps';
import { runRollbackTask, type RollbackTaskResult } from '../domain/rollout/rollback-wait';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Start rollback <env>" / "Await rollback <env>" (Lambda, `waitForTaskToken`): payload `{ taskToken,
 * executionArn, environment, release, image, error }`. Starts putting the service back on the revision it
 * ran before (StopServiceDeployment ROLLBACK, CodeDeploy StopDeployment, or a deployment of the previous
 * revision) and returns at once; the deployment event that ends the rollback resumes the task with
 * `{ service, rolledBack }` or `{ service, untouched }`, or fails it `RollbackFailed`.
 */
export const handler = countReleaseErrors('rollback', async (event: unknown): Promise<RollbackTaskResult> =>
  runRollbackTask(event, rolloutDeps()),
);
