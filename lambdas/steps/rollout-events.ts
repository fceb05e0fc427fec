import { announceDeps } from '../domain/outcomes/announce';
import { settleManualRollbackFromEvent } from '../domain/rollback/manual';
import { rolloutDeps } from '../domain/rollout/deps';
import { handleDeploymentEvent, type EventHandling } from '../domain/rollout/events';

/**
 * EventBridge target for ECS "ECS Deployment State Change" and CodeDeploy "CodeDeploy Deployment
 * State-change Notification" events: matches the event to the waiting release (or to the manual rollback in
 * flight on that service) and resumes its task with `SendTaskSuccess` / `SendTaskFailure`.
 */
export const handler = async (
  event: unknown,
): Promise<EventHandling | { action: 'ignored' | 'settled'; rollbackId: string; status: string }> => {
  const deps = rolloutDeps();
  const manual = await settleManualRollbackFromEvent(event, {
    rollout: deps,
    announce: announceDeps({ config: deps.config }),
  });
  return manual ?? handleDeploymentEvent(event, deps);
};
