import { rolloutDeps } from '../domain/rollout/deps';
import { handleDeploymentEvent, type EventHandling } from '../domain/rollout/events';

/**
 * EventBridge target for ECS "ECS Deployment State Change" and CodeDeploy "CodeDeploy Deployment
 * State-change Notification" events: matches the event to the waiting release and resumes its task with
 * `SendTaskSuccess` / `SendTaskFailure`.
 */
export const handler = async (event: unknown): Promise<EventHandling> =>
  handleDeploymentEvent(event, rolloutDeps());
