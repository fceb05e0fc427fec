import { hookStages, renderRollouts, rolloutViews } from '../../../sandbox/console/rollouts';
import { deployment, ecs, OWN, target, VERIFY } from '../../helpers/rollout-fixture';

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
