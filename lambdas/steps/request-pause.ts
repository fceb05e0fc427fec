import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { clientForEnvironment, environmentAws } from '../shared/clients/environment';
import { rolloutDeps } from '../domain/rollout/deps';
import { pauseDeps } from '../domain/pauses/deps';
import { requestPause, type RequestPauseResult } from '../domain/pauses/request';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Paused in <env>: wait for decision" (waitForTaskToken): a rollout stopped at an ECS PAUSE hook. Opens the
 * pause decision and posts it to chat; the task resumes with people's decision or with what ECS does next.
 * Alarm states are read in the environment's account (its deploy role) when it has one of its own.
 */
export const handler = countReleaseErrors(
  'request-pause',
  async (event: unknown): Promise<RequestPauseResult> => {
    const rollout = rolloutDeps();
    return requestPause(event, {
      rollout,
      pause: pauseDeps({
        config: rollout.config,
        cloudwatch,
        environmentCloudwatch: (environment) =>
          clientForEnvironment(CloudWatchClient, cloudwatch, environmentAws(rollout.config, environment)),
      }),
    });
  },
);
