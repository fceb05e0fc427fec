import { hookStages, renderRollouts, rolloutViews, type EcsReader } from '../../../sandbox/console/rollouts';

const VERIFY = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-verify-hook-production';
const OWN = 'arn:aws:lambda:us-east-1:000000000000:function:billing-migrations-check';
const ARN = 'arn:aws:ecs:us-east-1:000000000000:service-deployment/main/billing-app/abc';

/** A CANARY deployment baking at 10 %: the contract's hook ran twice, the verify hook once, a pause waits. */
const deployment = {
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

const ecs = (d: object): EcsReader => ({
  ListServiceDeployments: () => ({ serviceDeployments: [{ serviceDeploymentArn: ARN }] }),
  DescribeServiceDeployments: () => ({ serviceDeployments: [d] }),
});
const target = {
  environment: 'production',
  service: 'billing-app',
  cluster: 'main',
  ecsService: 'billing-app',
};

describe('live rollout view: hooks', () => {
  it('names every hook (verify, contract, pause) with its stage, status and a pause its deadline', () => {
    const [v] = rolloutViews(ecs(deployment), [target], 60000, 1_000_000, { production: VERIFY });
    expect(v.hooks).toEqual([
      { hookId: 'h1', kind: 'lambda', targetArn: OWN, stage: 'PRE_SCALE_UP', status: 'SUCCEEDED' },
      { hookId: 'h2', kind: 'lambda', targetArn: OWN, stage: 'POST_TEST_TRAFFIC_SHIFT', status: 'SUCCEEDED' },
      {
        hookId: 'h3',
        kind: 'verify',
        targetArn: VERIFY,
        stage: 'POST_TEST_TRAFFIC_SHIFT',
        status: 'SUCCEEDED',
      },
      {
        hookId: 'h4',
        kind: 'pause',
        stage: 'PRODUCTION_TRAFFIC_SHIFT',
        status: 'AWAITING_ACTION',
        expiresAt: 1_800_000_000,
        timeoutAction: 'ROLLBACK',
      },
    ]);
    expect(v.baking).toBe('canary at 10 %');

    const html = renderRollouts([v]);
    expect(html).toContain(
      '<li class="hook" data-hook-kind="verify" data-status="SUCCEEDED" data-stage="POST_TEST_TRAFFIC_SHIFT"',
    );
    expect(html).toContain('Shipgate verify hook <span class="muted">at post test traffic shift</span>');
    expect(html).toContain('contract hook <code>billing-migrations-check</code>');
    // 1_800_000_000 s = 2027-01-15T08:00:00Z.
    expect(html).toContain('decide by 08:00:00 UTC, then rollback');
  });

  it("does not call another environment's verify hook Shipgate's", () => {
    const [v] = rolloutViews(ecs(deployment), [target], 60000, 1_000_000, {
      staging: VERIFY.replace('production', 'staging'),
    });
    expect(v.hooks.find((h) => h.hookId === 'h3')?.kind).toBe('lambda');
  });

  it('a running hook the configuration does not place runs at the current stage; a finished one has none', () => {
    const stages = hookStages({
      lifecycleStage: 'POST_SCALE_UP',
      lifecycleHookDetails: [
        { hookId: 'a', targetArn: OWN, status: 'FAILED' },
        { hookId: 'b', targetArn: OWN, status: 'IN_PROGRESS' },
      ],
    });
    expect([...stages]).toEqual([
      ['a', undefined],
      ['b', 'POST_SCALE_UP'],
    ]);
  });
});
