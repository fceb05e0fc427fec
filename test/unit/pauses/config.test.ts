import { parseConfig, pauseAllowanceSeconds, pauseOccurrences } from '../../../lambdas/shared/config';
import { buildDeploymentConfiguration, planRollout } from '../../../lambdas/domain/rollout/strategy';
import { contractFor, testConfig } from '../rollout/harness';

/** Pauses in shipgate.config.yaml: what ECS accepts, approvers that exist, and the PAUSE hooks sent to ECS. */

const base = () => ({
  version: 1,
  projects: [{ path: 'root/billing-app', services: ['billing-app'] }],
  approvers: { alice: { name: 'Alice' }, bob: { name: 'Bob' } },
  environments: [{ name: 'production', approval: { approvers: ['alice', 'bob'], quorum: 1 } }],
  rollout: { timeout: '30m', eventGrace: '5m', lockLease: '3h' },
  services: {
    'billing-app': {
      repository: 'billing-app',
      environments: {
        production: {
          strategy: 'CANARY',
          pauses: [
            { at: 'POST_PRODUCTION_TRAFFIC_SHIFT', approvers: ['alice', 'bob'], quorum: 2, timeout: '30m' },
          ] as Record<string, unknown>[],
        },
      },
    },
  },
});

const withPause = (pause: Record<string, unknown>, strategy = 'CANARY') => {
  const raw = base();
  raw.services['billing-app'].environments.production = { strategy, pauses: [pause] };
  // Long enough for the longest pause these tests configure (14 days).
  raw.rollout.lockLease = '15d';
  return raw;
};

describe('pause configuration', () => {
  it('defaults: ROLLBACK on timeout, 24h, quorum 1, no self-approval', () => {
    const cfg = parseConfig(withPause({ at: 'POST_PRODUCTION_TRAFFIC_SHIFT', approvers: ['alice'] }));
    expect(cfg.services['billing-app'].environments.production.pauses).toEqual([
      {
        at: 'POST_PRODUCTION_TRAFFIC_SHIFT',
        approvers: ['alice'],
        quorum: 1,
        timeout: 86400,
        onTimeout: 'ROLLBACK',
        allowSelfApproval: false,
      },
    ]);
  });

  it.each(['TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'])(
    'refuses a pause at %s, as ECS does, naming what to use',
    (at) => {
      expect(() => parseConfig(withPause({ at, approvers: ['alice'] }))).toThrow(
        new RegExp(
          `services\\.billing-app\\.environments\\.production\\.pauses\\[0\\]\\.at: ECS refuses PAUSE hooks at ${at} \\("PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages"\\); pause before each production traffic step with PRE_PRODUCTION_TRAFFIC_SHIFT \\(after the smoke check on test traffic\\), or after the last one with POST_PRODUCTION_TRAFFIC_SHIFT`,
        ),
      );
    },
  );

  it("refuses a pause at the verify hook's stage (one stage's hooks run in parallel), naming where to pause instead", () => {
    // GIVEN a pause "after the smoke check" configured where the smoke check itself runs
    const raw = withPause({ at: 'POST_TEST_TRAFFIC_SHIFT', approvers: ['alice'] });
    // THEN the config is refused with the reason and the stages that do come after the smoke check
    expect(() => parseConfig(raw)).toThrow(
      /services\.billing-app\.environments\.production\.pauses\[0\]\.at: a pause cannot be at POST_TEST_TRAFFIC_SHIFT: Shipgate's smoke check \(the verify hook\) runs there, and ECS runs all hooks of one stage in parallel .*use PRE_PRODUCTION_TRAFFIC_SHIFT .* or POST_PRODUCTION_TRAFFIC_SHIFT/,
    );
  });

  it('refuses an unknown stage, timeouts ECS refuses (under 1 minute, over 14 days) and onTimeout values it does not know', () => {
    expect(() => parseConfig(withPause({ at: 'BAKE_TIME', approvers: ['alice'] }))).toThrow(
      /pauses\[0\]\.at: expected one of RECONCILE_SERVICE, .*received "BAKE_TIME"/,
    );
    expect(() =>
      parseConfig(withPause({ at: 'POST_SCALE_UP', approvers: ['alice'], timeout: '30s' })),
    ).toThrow(
      /pauses\[0\]\.timeout: expected 1m to 20160m \(14d\), the PAUSE hook timeouts ECS accepts \(timeoutInMinutes 1–20160\); received 30 s/,
    );
    expect(() =>
      parseConfig(withPause({ at: 'POST_SCALE_UP', approvers: ['alice'], timeout: '15d' })),
    ).toThrow(/pauses\[0\]\.timeout: expected 1m to 20160m/);
    expect(() =>
      parseConfig(withPause({ at: 'POST_SCALE_UP', approvers: ['alice'], onTimeout: 'IGNORE' })),
    ).toThrow(/pauses\[0\]\.onTimeout/);
    expect(
      parseConfig(
        withPause({ at: 'POST_SCALE_UP', approvers: ['alice'], timeout: '14d', onTimeout: 'CONTINUE' }),
      ).services['billing-app'].environments.production.pauses![0],
    ).toMatchObject({ timeout: 14 * 86400, onTimeout: 'CONTINUE' });
  });

  it('refuses unknown approvers, an unreachable quorum, two pauses at one stage', () => {
    expect(() => parseConfig(withPause({ at: 'POST_SCALE_UP', approvers: ['mallory'] }))).toThrow(
      /services\.billing-app\.environments\.production\.pauses\[0\]\.approvers\[0\]: unknown approver "mallory"; expected one of: alice, bob/,
    );
    expect(() => parseConfig(withPause({ at: 'POST_SCALE_UP', approvers: ['alice'], quorum: 2 }))).toThrow(
      /pauses\[0\]\.quorum: quorum 2 is larger than the 1 distinct approvers listed/,
    );
    const raw = base();
    raw.services['billing-app'].environments.production.pauses.push({
      at: 'POST_PRODUCTION_TRAFFIC_SHIFT',
      approvers: ['bob'],
    });
    expect(() => parseConfig(raw)).toThrow(/pauses: expected at most one pause per stage/);
  });

  it('refuses pauses on a rollout ECS cannot pause in a service deployment (explicit ROLLING / CODEDEPLOY)', () => {
    expect(() => parseConfig(withPause({ at: 'POST_SCALE_UP', approvers: ['alice'] }, 'ROLLING'))).toThrow(
      /pauses need a BLUE_GREEN, LINEAR or CANARY rollout .*"billing-app" in "production" is ROLLING/,
    );
  });

  it('refuses a lock lease that does not cover a rollout waiting at its pauses', () => {
    const raw = base();
    raw.rollout.lockLease = '1h';
    expect(() => parseConfig(raw)).toThrow(
      /rollout\.lockLease: lock lease of 3600 s is shorter than the 3900 s a rollout of "billing-app" in "production" may hold its lock \(rollout\.timeout 1800 s \+ rollout\.eventGrace 300 s \+ 1800 s of pauses\)/,
    );
  });

  it('counts PRE_PRODUCTION_TRAFFIC_SHIFT once per traffic step (CANARY 2, LINEAR 100/step)', () => {
    expect(pauseOccurrences('PRE_PRODUCTION_TRAFFIC_SHIFT', 'CANARY', undefined)).toBe(2);
    expect(pauseOccurrences('PRE_PRODUCTION_TRAFFIC_SHIFT', 'LINEAR', 25)).toBe(4);
    expect(pauseOccurrences('POST_TEST_TRAFFIC_SHIFT', 'LINEAR', 25)).toBe(1);
    expect(
      pauseAllowanceSeconds({
        strategy: 'CANARY',
        pauses: [
          {
            at: 'PRE_PRODUCTION_TRAFFIC_SHIFT',
            approvers: ['a'],
            quorum: 1,
            timeout: 90,
            onTimeout: 'ROLLBACK',
            allowSelfApproval: false,
          },
        ],
      }),
    ).toBe(2 * 120);
  });

  it("sends PAUSE hooks after the contract's hooks and the verify hook, never instead of them", () => {
    const config = testConfig({
      projects: [{ path: 'shop/billing', services: ['billing-app'] }],
      rollout: { timeout: '30m', eventGrace: '5m', lockLease: '2h' },
      services: {
        'billing-app': {
          repository: 'billing-app',
          environments: {
            production: {
              strategy: 'CANARY',
              pauses: [
                {
                  at: 'POST_PRODUCTION_TRAFFIC_SHIFT',
                  approvers: ['ada'],
                  timeout: '90s',
                  onTimeout: 'CONTINUE',
                },
              ],
            },
          },
        },
      },
    });
    const contract = contractFor('production', 'billing-app', {
      strategy: 'CANARY',
      lifecycleHooks: [
        {
          hookTargetArn: 'arn:aws:lambda:eu-west-1:000011112222:function:infra-check',
          roleArn: 'arn:aws:iam::000011112222:role/hooks',
          lifecycleStages: ['POST_SCALE_UP'],
        },
      ],
    });
    const plan = planRollout(contract, config, 'billing-app', 'production');
    expect(plan.pauseSeconds).toBe(120);
    const cfg = buildDeploymentConfiguration(plan, undefined, {
      arn: 'arn:aws:lambda:eu-west-1:000011112222:function:verify-hook',
      roleArn: 'arn:aws:iam::000011112222:role/verify',
    });
    expect(cfg.lifecycleHooks).toEqual([
      {
        hookTargetArn: 'arn:aws:lambda:eu-west-1:000011112222:function:infra-check',
        roleArn: 'arn:aws:iam::000011112222:role/hooks',
        lifecycleStages: ['POST_SCALE_UP'],
      },
      {
        hookTargetArn: 'arn:aws:lambda:eu-west-1:000011112222:function:verify-hook',
        roleArn: 'arn:aws:iam::000011112222:role/verify',
        lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
      },
      // 90 s is rounded up to whole minutes (timeoutInMinutes is an integer); no target or role for PAUSE.
      {
        targetType: 'PAUSE',
        lifecycleStages: ['POST_PRODUCTION_TRAFFIC_SHIFT'],
        timeoutConfiguration: { timeoutInMinutes: 2, action: 'CONTINUE' },
      },
    ]);
  });
});
