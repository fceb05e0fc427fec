import { computeDora } from '../../../lambdas/domain/ledger/dora';
import { chartData, humanDuration, renderDora } from '../../../sandbox/console/dora';
import { commit, releaseEntry, rollbackEntry } from '../ledger/entries';

const window = {
  environment: 'production',
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-11-08T00:00:00.000Z',
};

describe('console DORA page (server side)', () => {
  const entries = [
    releaseEntry('2026-11-02T10:00:00.000Z', {
      commits: [commit('a'.repeat(40), '2026-11-02T08:00:00.000Z')],
    }),
    releaseEntry('2026-11-03T10:00:00.000Z', {
      outcome: 'rolled-back-by-ecs',
      deployment: true,
      failedAt: '2026-11-03T10:00:00.000Z',
    }),
    releaseEntry('2026-11-03T12:00:00.000Z', {
      commits: [commit('b'.repeat(40), '2026-11-03T11:30:00.000Z')],
    }),
  ];
  const report = computeDora(entries, { ...window, label: '7d' });

  it('shows the five figures of the report with their levels, and the data of the three charts', () => {
    const html = renderDora({
      environments: ['staging', 'production'],
      environment: 'production',
      window: '7d',
      report,
    });
    for (const figure of [
      'deployment-frequency',
      'lead-time',
      'change-failure-rate',
      'recovery-time',
      'rework-rate',
    ])
      expect(html).toContain(`data-figure="${figure}"`);
    expect(html).toContain(`<span class="level ${report.overall.figures.leadTime.level}"`);
    for (const id of ['dora-frequency', 'dora-lead-time', 'dora-failures'])
      expect(html).toContain(`<canvas id="${id}"`);
    const json = /<script type="application\/json" id="dora-data">([^<]*)<\/script>/.exec(html)![1];
    const data = JSON.parse(json) as ReturnType<typeof chartData>;
    expect(data.frequency).toHaveLength(7);
    expect(data.frequency.reduce((n, d) => n + d.deployed, 0)).toBe(
      report.overall.figures.deploymentFrequency.deployments,
    );
    expect(data.frequency.find((d) => d.day === '2026-11-03')).toEqual({
      day: '2026-11-03',
      deployed: 1,
      failed: 1,
    });
    expect(data.leadTime.reduce((n, b) => n + b.count, 0)).toBe(2);
    expect(data.failures).toHaveLength(1);
    expect(data.failures[0].restoredAt).toBe(Date.parse('2026-11-03T12:00:00.000Z'));
  });

  it('keeps markup out of the embedded data and shows the API error instead of figures', () => {
    const error = renderDora({
      environments: ['production'],
      environment: 'production',
      window: 'x<y',
      error: 'window must look like 30d, received "<b>"',
    });
    expect(error).toContain('window must look like 30d, received &quot;&lt;b&gt;&quot;');
    expect(error).not.toContain('<b>');
    expect(error).not.toContain('dora-data');
    const html = renderDora({
      environments: ['production'],
      environment: 'production',
      window: '7d',
      report: {
        ...report,
        failures: [{ ...report.failures[0], releaseId: '</script><script>alert(1)</script>' }],
      },
    });
    expect(html).not.toContain('</script><script>alert(1)');
  });

  it('counts a deployment rolled back by hand once, as a failure, in the per-day chart', () => {
    const kept = releaseEntry('2026-11-04T10:00:00.000Z', { releaseId: 'inventory-app-kept' });
    const undone = releaseEntry('2026-11-04T11:00:00.000Z', { releaseId: 'inventory-app-undone' });
    const byHand = rollbackEntry('2026-11-04T12:00:00.000Z', '2026-11-04T12:10:00.000Z', {
      outcome: 'rolled-back-by-hand',
      rolledBackReleaseId: 'inventory-app-undone',
    });
    const r = computeDora([kept, undone, byHand], { ...window, label: '7d' });
    const day = chartData(r).frequency.find((d) => d.day === '2026-11-04')!;
    expect(r.overall.figures.changeFailureRate).toMatchObject({ deployments: 2, failedDeployments: 1 });
    expect(day).toEqual({ day: '2026-11-04', deployed: 1, failed: 1 });
  });

  it('says "—" without a level for a figure with no data: no failures, no deployments', () => {
    const quiet = computeDora([releaseEntry('2026-11-02T10:00:00.000Z')], { ...window, label: '7d' });
    const html = renderDora({
      environments: ['production'],
      environment: 'production',
      window: '7d',
      report: quiet,
    });
    const recovery = /<div class="dora-card" data-figure="recovery-time">.*?<\/div><\/div>/.exec(html)![0];
    expect(recovery).toContain('<span class="value">—</span>');
    expect(recovery).toContain('no failures in this window');
    expect(recovery).not.toContain('data-level');
    const empty = computeDora([], { ...window, label: '7d' });
    const none = renderDora({
      environments: ['production'],
      environment: 'production',
      window: '7d',
      report: empty,
    });
    for (const figure of ['deployment-frequency', 'lead-time', 'change-failure-rate', 'recovery-time']) {
      const cardHtml = new RegExp(`<div class="dora-card" data-figure="${figure}">.*?</div></div>`).exec(
        none,
      )![0];
      expect(cardHtml).toContain('<span class="value">—</span>');
      expect(cardHtml).not.toContain('data-level');
    }
  });

  it('writes durations the way people read them', () => {
    expect(humanDuration(null)).toBe('—');
    expect(humanDuration(12.4)).toBe('12 s');
    expect(humanDuration(45 * 60)).toBe('45 min');
    expect(humanDuration(3 * 3600)).toBe('3.0 h');
    expect(humanDuration(2.5 * 86_400)).toBe('2.5 d');
  });
});
