import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { approvalDeps, type ApprovalDeps } from '../approvals/deps';
import { ecs as defaultEcs } from '../../shared/clients/ecs';
import { clientForEnvironment, environmentAws } from '../../shared/clients/environment';

/**
 * Everything pause functions touch: the approval dependencies plus ECS (decisions). CloudWatch (alarm states
 * in the pause message) is passed by the one step that reads it (`request-pause`), so the HTTP bundle does
 * not carry that client.
 */
export interface PauseDeps extends ApprovalDeps {
  /** ECS of the pause's environment once {@link pauseInEnvironment} bound the deps; Shipgate's own before. */
  ecs: ECSClient;
  /**
   * ECS of an environment: its deploy role's client in its own account (`environments[].aws`), else `ecs`.
   * Tests that pass `ecs` get it for every environment unless they pass this too.
   */
  environmentEcs: (environment: string) => ECSClient;
  cloudwatch?: Pick<CloudWatchClient, 'send'>;
  /** CloudWatch of an environment (its own account's when it has `aws`); `cloudwatch` when not given. */
  environmentCloudwatch?: (environment: string) => Pick<CloudWatchClient, 'send'>;
}

/** Process defaults for whatever `overrides` leaves out. */
export function pauseDeps(overrides: Partial<PauseDeps> = {}): PauseDeps {
  const approvals = approvalDeps(overrides);
  const ecs = overrides.ecs ?? defaultEcs;
  return {
    ...approvals,
    ecs,
    environmentEcs:
      overrides.environmentEcs ??
      (overrides.ecs
        ? () => ecs
        : (environment) =>
            clientForEnvironment(ECSClient, ecs, environmentAws(approvals.config, environment))),
    ...(overrides.cloudwatch ? { cloudwatch: overrides.cloudwatch } : {}),
    ...(overrides.environmentCloudwatch ? { environmentCloudwatch: overrides.environmentCloudwatch } : {}),
  };
}

/** `deps` whose `ecs` is the environment's (see {@link PauseDeps.environmentEcs}). */
export function pauseInEnvironment(deps: PauseDeps, environment: string): PauseDeps {
  return { ...deps, ecs: deps.environmentEcs(environment) };
}
