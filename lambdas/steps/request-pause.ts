import { cloudwatch } from '../shared/clients/cloudwatch';
import { rolloutDeps } from '../domain/rollout/deps';
import { pauseDeps } from '../domain/pauses/deps';
import { requestPause, type RequestPauseResult } from '../domain/pauses/request';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Paused in <env>: wait for decision" (waitForTaskToken): a rollout stopped at an ECS PAUSE hook. Opens the
 * pause decision and posts it to chat; the task resumes with people's decision or with what ECS does next.
 */
export const handler = countReleaseErrors(
  'request-pause',
  async (event: unknown): Promise<RequestPauseResult> =>
    requestPause(event, { rollout: rolloutDeps(), pause: pauseDeps({ cloudwatch }) }),
);
