import { loadConfig } from '../../../lambdas/shared/config';
import { releaseBoundSeconds } from '../../../lambdas/shared/monitoring/bound';
import { releaseWaits } from '../../../lambdas/domain/outcomes/waits';
import { MONITORED_QUEUES, shipgateAlarms } from '../../../lib/monitoring/alarms';

const config = loadConfig('shipgate.config.yaml');

describe('alarm definitions', () => {
  const alarms = shipgateAlarms({
    functions: { http: { releaseErrors: false }, scan: { releaseErrors: true } },
  });

  it('defines, for an inventory, every queue, both alarms per function and the workflow alarms', () => {
    expect(alarms.map((a) => a.id).sort()).toEqual(
      [
        'ExecutionEventsDeadLettersNotEmpty',
        'FailedEventsNotEmpty',
        'HttpErrors',
        'HttpThrottles',
        'ReconcilerRepaired',
        'ReleaseStuck',
        'ReleasesFailedForShipgate',
        'RollbacksFailed',
        'RolloutEventsDeadLettersNotEmpty',
        'ScanErrors',
        'ScanThrottles',
      ].sort(),
    );
    expect(Object.keys(MONITORED_QUEUES)).toHaveLength(3);
    // Ids are unique (they are construct ids and alarm names).
    expect(new Set(alarms.map((a) => a.id)).size).toBe(alarms.length);
  });

  it('subtracts release errors only where a function raises them on purpose', () => {
    expect(alarms.find((a) => a.id === 'ScanErrors')?.expression).toBe('errors - FILL(releaseErrors, 0)');
    expect(alarms.find((a) => a.id === 'HttpErrors')?.expression).toBeUndefined();
  });
});

describe('the bound of a release', () => {
  it('adds up every configured wait of every environment', () => {
    const bound = releaseBoundSeconds(config);
    const approvals = config.environments.reduce((s, e) => s + e.approval.timeout, 0);
    // More than the approvals and the rollouts' own limits, never unbounded.
    expect(bound).toBeGreaterThan(approvals + config.environments.length * config.rollout.timeout);
    expect(Number.isFinite(bound)).toBe(true);
  });

  it('grows with a longer approval timeout', () => {
    const longer = {
      ...config,
      environments: config.environments.map((e, i) =>
        i === 0 ? { ...e, approval: { ...e.approval, timeout: e.approval.timeout + 3600 } } : e,
      ),
    };
    expect(releaseBoundSeconds(longer)).toBe(releaseBoundSeconds(config) + 3600);
  });
});

describe('waiting for people versus for ECS', () => {
  it('counts approvals and pauses as people, rollouts less pauses as ECS', () => {
    const waits = releaseWaits({
      approvals: {
        staging: { requestedAt: '2026-12-07T10:00:00Z', decidedAt: '2026-12-07T10:30:00Z' },
        production: { decidedAt: '2026-12-07T12:00:00Z' }, // from before requestedAt existed: not counted
      },
      deployments: {
        staging: [
          { startedAt: '2026-12-07T10:31:00Z', finishedAt: '2026-12-07T10:41:00Z' },
          { rollout: { startedAt: '2026-12-07T10:32:00Z', finishedAt: '2026-12-07T10:51:00Z' } },
        ],
      },
      pauses: [
        {
          at: '2026-12-07T10:35:00Z',
          environment: 'staging',
          service: 'b',
          pauseId: 'p1',
          stage: 'S',
          event: 'PAUSED',
          detail: '',
        },
        {
          at: '2026-12-07T10:40:00Z',
          environment: 'staging',
          service: 'b',
          pauseId: 'p1',
          stage: 'S',
          event: 'CONTINUED',
          detail: '',
        },
      ],
    });
    // 30 min approval + 5 min pause; rollouts 10:31–10:51 (20 min) less the 5 min pause.
    expect(waits).toEqual({ people: 35 * 60, ecs: 15 * 60 });
  });

  it('counts pauses of services rolling out side by side once (their union)', () => {
    const pause = (service: string, pauseId: string, at: string, event: 'PAUSED' | 'CONTINUED') => ({
      at,
      environment: 'production',
      service,
      pauseId,
      stage: 'S',
      event,
      detail: '',
    });
    const waits = releaseWaits({
      deployments: {
        production: [{ startedAt: '2026-12-07T10:00:00Z', finishedAt: '2026-12-07T10:30:00Z' }],
      },
      pauses: [
        // Three services held 10:05–10:25 at once, and one of them again 10:26–10:27.
        pause('a', 'pa', '2026-12-07T10:05:00Z', 'PAUSED'),
        pause('b', 'pb', '2026-12-07T10:05:00Z', 'PAUSED'),
        pause('c', 'pc', '2026-12-07T10:06:00Z', 'PAUSED'),
        pause('a', 'pa', '2026-12-07T10:20:00Z', 'CONTINUED'),
        pause('b', 'pb', '2026-12-07T10:25:00Z', 'CONTINUED'),
        pause('c', 'pc', '2026-12-07T10:24:00Z', 'CONTINUED'),
        pause('a', 'pa2', '2026-12-07T10:26:00Z', 'PAUSED'),
        pause('a', 'pa2', '2026-12-07T10:27:00Z', 'CONTINUED'),
      ],
    });
    // Held 20 + 1 minutes of the 30-minute rollout: 21 minutes for people, 9 for ECS.
    expect(waits).toEqual({ people: 21 * 60, ecs: 9 * 60 });
  });

  it('is zero when nothing is known', () => {
    expect(releaseWaits({})).toEqual({ people: 0, ecs: 0 });
  });
});
