import { computeDora, median, percentile } from '../../../lambdas/domain/ledger/dora';
import { commit, releaseEntry, rollbackEntry } from './entries';

/**
 * DORA figures from hand-made ledgers; every expected number is worked out in the test from the entries.
 * Window: 1–8 Nov 2026 (7 days; 1 Nov 2026 is a Sunday, so weekly buckets start Mon 26 Oct and Mon 2 Nov).
 */

const WINDOW = {
  environment: 'production',
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-11-08T00:00:00.000Z',
};
const H = 3600;

describe('computeDora', () => {
  it('an empty window has no figures, only empty buckets and no levels', () => {
    const report = computeDora([], WINDOW);
    const f = report.overall.figures;
    expect(f.deploymentFrequency).toEqual({ deployments: 0, perDay: 0, perWeek: 0, level: null });
    expect(f.leadTime).toEqual({ count: 0, medianSeconds: null, p90Seconds: null, level: null });
    expect(f.changeFailureRate).toEqual({ failedDeployments: 0, deployments: 0, rate: null, level: null });
    expect(f.recoveryTime).toMatchObject({ failures: 0, unrecovered: 0, medianSeconds: null, level: null });
    expect(f.reworkRate).toEqual({ unplannedDeployments: 0, deployments: 0, rate: null, level: null });
    expect(report.overall.daily.map((b) => b.start.slice(0, 10))).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
      '2026-11-06',
      '2026-11-07',
    ]);
    // Sunday 1 Nov belongs to the ISO week starting Monday 26 Oct.
    expect(report.overall.weekly.map((b) => b.start.slice(0, 10))).toEqual(['2026-10-26', '2026-11-02']);
    expect(report.services).toEqual({});
    expect(report.failures).toEqual([]);
    expect(report.entries).toBe(0);
  });

  it('a window with only failures: fail rate 100%, no frequency or lead time, recovery of the restored one', () => {
    const entries = [
      // Rolled back by Shipgate 10:00 → restored 10:30 (1800 s).
      releaseEntry('2026-11-03T10:00:00Z', {
        releaseId: 'bad-1',
        outcome: 'rolled-back-by-shipgate',
        failedAt: '2026-11-03T10:00:00Z',
        commits: [commit('c1', '2026-11-03T08:00:00Z')],
      }),
      rollbackEntry('2026-11-03T10:00:00Z', '2026-11-03T10:30:00Z', { rolledBackReleaseId: 'bad-1' }),
      // Failed with no rollback and no later good deployment: unrecovered.
      releaseEntry('2026-11-05T12:00:00Z', {
        releaseId: 'bad-2',
        outcome: 'failed',
        failedAt: '2026-11-05T12:00:00Z',
      }),
    ];
    const f = computeDora(entries, WINDOW).overall.figures;
    expect(f.deploymentFrequency.deployments).toBe(0);
    expect(f.leadTime.count).toBe(0); // failed deployments change nothing in production
    expect(f.changeFailureRate).toEqual({ failedDeployments: 2, deployments: 2, rate: 1, level: 'low' });
    expect(f.recoveryTime).toEqual({
      count: 1,
      medianSeconds: 1800,
      p90Seconds: 1800,
      failures: 2,
      unrecovered: 1,
      level: 'elite',
    });
  });

  it('a restore that spans two buckets counts in the bucket where the failure was detected', () => {
    const entries = [
      releaseEntry('2026-11-04T23:30:00Z', {
        releaseId: 'late',
        outcome: 'rolled-back-by-ecs',
        failedAt: '2026-11-04T23:30:00Z',
      }),
      rollbackEntry('2026-11-04T23:30:00Z', '2026-11-05T00:45:00Z', {
        outcome: 'rolled-back-by-ecs',
        rolledBackReleaseId: 'late',
      }),
    ];
    const report = computeDora(entries, WINDOW);
    const day = (d: string) => report.overall.daily.find((b) => b.start.startsWith(d))!.figures.recoveryTime;
    expect(day('2026-11-04')).toMatchObject({ failures: 1, count: 1, medianSeconds: 75 * 60 });
    expect(day('2026-11-05')).toMatchObject({ failures: 0, count: 0, medianSeconds: null });
    expect(report.failures).toEqual([
      {
        service: 'inventory-app',
        releaseId: 'late',
        outcome: 'rolled-back-by-ecs',
        detectedAt: '2026-11-04T23:30:00.000Z',
        restoredAt: '2026-11-05T00:45:00.000Z',
        recoverySeconds: 4500,
        restoredBy: 'rollback',
      },
    ]);
    expect(report.overall.figures.recoveryTime.level).toBe('high'); // 75 min: under a day, not under an hour
  });

  it('a superseded release is no deployment; its commit counts once, in the release that shipped it', () => {
    const entries = [
      releaseEntry('2026-11-02T09:00:00Z', {
        releaseId: 'superseded-one',
        outcome: 'superseded',
        deployment: false,
        rolloutFinishedAt: undefined,
        commits: [],
        error: { error: 'ApprovalSuperseded' },
      }),
      // The next release to production brings both commits (compare from the previous production SHA).
      releaseEntry('2026-11-02T12:00:00Z', {
        releaseId: 'shipped',
        commits: [commit('c2', '2026-11-02T06:00:00Z'), commit('c3', '2026-11-02T10:00:00Z')],
      }),
    ];
    const f = computeDora(entries, WINDOW).overall.figures;
    expect(f.deploymentFrequency.deployments).toBe(1);
    expect(f.changeFailureRate).toMatchObject({
      failedDeployments: 0,
      deployments: 1,
      rate: 0,
      level: 'elite',
    });
    // Lead times 6 h and 2 h: median 4 h; p90 nearest rank = ceil(0.9 × 2) = 2nd = 6 h.
    expect(f.leadTime).toEqual({ count: 2, medianSeconds: 4 * H, p90Seconds: 6 * H, level: 'elite' });
  });

  it('computes every figure, per service and overall, with hand rollbacks, redeploy recovery and rework', () => {
    const entries = [
      // inventory-app: three good deployments with lead times 1 h, 2 h, 3 h, 30 h.
      releaseEntry('2026-11-02T10:00:00Z', {
        releaseId: 'a1',
        commits: [commit('a', '2026-11-02T09:00:00Z')],
      }),
      releaseEntry('2026-11-03T10:00:00Z', {
        releaseId: 'a2',
        commits: [commit('b', '2026-11-03T08:00:00Z'), commit('c', '2026-11-03T07:00:00Z')],
      }),
      releaseEntry('2026-11-06T10:00:00Z', {
        releaseId: 'a3',
        unplanned: true,
        unplannedReasons: ['hotfix-approval'],
        commits: [commit('d', '2026-11-05T04:00:00Z')],
      }),
      // a2 was rolled back by hand: asked 11:00, done 11:20.
      rollbackEntry('2026-11-03T11:00:00Z', '2026-11-03T11:20:00Z', {
        outcome: 'rolled-back-by-hand',
        rolledBackReleaseId: 'a2',
        by: 'dana',
      }),
      // orders-api: a failure recovered by the next good deployment 2 days later.
      releaseEntry('2026-11-04T08:00:00Z', {
        releaseId: 'o1',
        service: 'orders-api',
        outcome: 'failed',
        failedAt: '2026-11-04T08:00:00Z',
      }),
      releaseEntry('2026-11-06T08:00:00Z', {
        releaseId: 'o2',
        service: 'orders-api',
        unplanned: true,
        unplannedReasons: ['after-failure'],
        commits: [commit('e', '2026-11-06T07:30:00Z')],
      }),
      // Other environments and other windows never count.
      releaseEntry('2026-11-03T10:00:00Z', { environment: 'staging' }),
      releaseEntry('2026-10-20T10:00:00Z', { releaseId: 'old' }),
    ];
    const report = computeDora(entries, { ...WINDOW, label: '7d' });
    const all = report.overall.figures;
    // Successful: a1, a2, a3, o2 = 4 in 7 days.
    expect(all.deploymentFrequency).toEqual({ deployments: 4, perDay: 4 / 7, perWeek: 4, level: 'high' });
    // Lead times (s): 3600, 7200, 10800, 108000 (d: 30 h), 1800 (e) → sorted 1800, 3600, 7200, 10800, 108000.
    expect(all.leadTime).toEqual({ count: 5, medianSeconds: 7200, p90Seconds: 108000, level: 'elite' });
    // Deployments: a1, a2, a3, o1, o2 = 5; failed: a2 (by hand), o1 = 2.
    expect(all.changeFailureRate).toEqual({ failedDeployments: 2, deployments: 5, rate: 0.4, level: 'low' });
    // Recoveries: o1 48 h (redeploy), a2 20 min (hand rollback) → median 24 h 10 min, p90 = 2nd = 48 h.
    expect(all.recoveryTime).toEqual({
      count: 2,
      medianSeconds: (48 * H + 1200) / 2,
      p90Seconds: 48 * H,
      failures: 2,
      unrecovered: 0,
      level: 'low',
    });
    expect(all.reworkRate).toEqual({ unplannedDeployments: 2, deployments: 5, rate: 0.4, level: null });

    const inv = report.services['inventory-app'].figures;
    expect(inv.deploymentFrequency.deployments).toBe(3);
    expect(inv.changeFailureRate).toMatchObject({ failedDeployments: 1, deployments: 3 });
    expect(inv.recoveryTime).toMatchObject({ count: 1, medianSeconds: 1200, level: 'elite' });
    const orders = report.services['orders-api'].figures;
    expect(orders.recoveryTime).toMatchObject({ count: 1, medianSeconds: 48 * H, level: 'low' });
    expect(report.failures.map((x) => [x.releaseId, x.restoredBy])).toEqual([
      ['a2', 'rollback'],
      ['o1', 'redeploy'],
    ]);
    // Weekly: Sun 1 Nov is in the week of 26 Oct (nothing there); everything else in the week of 2 Nov.
    expect(report.overall.weekly[0].figures.changeFailureRate.deployments).toBe(0);
    expect(report.overall.weekly[1].figures.changeFailureRate.deployments).toBe(5);
    // The week of 26 Oct covers one day of the window: its frequency is per that day.
    expect(
      report.overall.daily.find((b) => b.start.startsWith('2026-11-03'))!.figures.deploymentFrequency,
    ).toEqual({ deployments: 1, perDay: 1, perWeek: 7, level: 'elite' });
    // Lead-time histogram: < 1h: 1800; 1h–1d: 3600, 7200, 10800; 1d–1w: 108000.
    expect(report.leadTimeHistogram.map((b) => b.count)).toEqual([1, 3, 1, 0, 0]);
    expect(report.window).toEqual({ from: WINDOW.from, to: WINDOW.to, days: 7, label: '7d' });
  });

  it('refuses a window that ends before it starts', () => {
    expect(() => computeDora([], { ...WINDOW, to: WINDOW.from })).toThrow(/not a valid time range/);
  });

  it('median and nearest-rank p90', () => {
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([5], 0.9)).toBe(5);
  });
});
