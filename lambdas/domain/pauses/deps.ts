import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { approvalDeps, type ApprovalDeps } from '../approvals/deps';
import { ecs as defaultEcs } from '../../shared/clients/ecs';

/**
 * Everything pause functions touch: the approval dependencies plus ECS (decisions). CloudWatch (alarm states
 * in the pause message) is passed by the one step that reads it (`request-pause`), so the HTTP bundle does
 * not carry that client.
 */
export interface PauseDeps extends ApprovalDeps {
  ecs: ECSClient;
  cloudwatch?: Pick<CloudWatchClient, 'send'>;
}

/** Process defaults for whatever `overrides` leaves out. */
export function pauseDeps(overrides: Partial<PauseDeps> = {}): PauseDeps {
  return {
    ...approvalDeps(overrides),
    ecs: overrides.ecs ?? defaultEcs,
    ...(overrides.cloudwatch ? { cloudwatch: overrides.cloudwatch } : {}),
  };
}
