import type { EcsReader } from '../../sandbox/console/rollouts';

/** A service deployment as DescribeServiceDeployments returns it, for the rollout view's tests. */
export const VERIFY = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-verify-hook-production';
export const OWN = 'arn:aws:lambda:us-east-1:000000000000:function:billing-migrations-check';
export const ARN = 'arn:aws:ecs:us-east-1:000000000000:service-deployment/main/billing-app/abc';

/** A CANARY deployment baking at 10 %: the contract's hook ran twice, the verify hook once, a pause waits. */
export const deployment = {
  serviceDeploymentArn: ARN,
  status: 'IN_PROGRESS',
  lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT',
  updatedAt: 1000,
  targetServiceRevision: { arn: 'rev/new', requestedProductionTrafficWeight: 10, runningTaskCount: 2 },
  sourceServiceRevisions: [{ arn: 'rev/old', requestedProductionTrafficWeight: 90, runningTaskCount: 2 }],
  deploymentConfiguration: {
    strategy: 'CANARY',
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
    // Configured out of lifecycle order on purpose: the stages are read in ECS's order.
    lifecycleHooks: [
      { hookTargetArn: OWN, lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT', 'PRE_SCALE_UP'] },
      { hookTargetArn: VERIFY, lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] },
      { targetType: 'PAUSE', lifecycleStages: ['PRODUCTION_TRAFFIC_SHIFT'] },
    ],
  },
  lifecycleHookDetails: [
    { hookId: 'h1', targetType: 'AWS_LAMBDA', targetArn: OWN, status: 'SUCCEEDED' },
    { hookId: 'h2', targetType: 'AWS_LAMBDA', targetArn: OWN, status: 'SUCCEEDED' },
    { hookId: 'h3', targetType: 'AWS_LAMBDA', targetArn: VERIFY, status: 'SUCCEEDED' },
    {
      hookId: 'h4',
      targetType: 'PAUSE',
      status: 'AWAITING_ACTION',
      expiresAt: 1_800_000_000,
      timeoutAction: 'ROLLBACK',
    },
  ],
};

export const ecs = (d: object): EcsReader => ({
  ListServiceDeployments: () => ({ serviceDeployments: [{ serviceDeploymentArn: ARN }] }),
  DescribeServiceDeployments: () => ({ serviceDeployments: [d] }),
});
export const target = {
  environment: 'production',
  service: 'billing-app',
  cluster: 'main',
  ecsService: 'billing-app',
};
