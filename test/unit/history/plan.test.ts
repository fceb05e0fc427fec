import { join } from 'node:path';
import { loadConfig } from '../../../lambdas/shared/config';
import {
  HistoryWindowError,
  allPlanned,
  hasPauses,
  parseHistoryWindow,
  planHistory,
} from '../../../sandbox/history/plan';
import { seededRandom } from '../../../sandbox/aws/variation';

const config = loadConfig(join(__dirname, '..', '..', '..', 'shipgate.config.yaml'), {
  ...process.env,
  SHIPGATE_CONFIG_JSON: undefined,
});
const END = Date.parse('2026-12-03T13:30:00Z');

describe('history plan', () => {
  it('parses windows of whole days and refuses anything else with the accepted form', () => {
    expect(parseHistoryWindow('30d')).toBe(30);
    expect(parseHistoryWindow(' 90d ')).toBe(90);
    for (const bad of ['0d', '366d', '30', '2w', '-1d', '1.5d', ''])
      expect(() => parseHistoryWindow(bad)).toThrow(HistoryWindowError);
    expect(() => parseHistoryWindow('2w')).toThrow('--history takes a number of days such as 30d or 90d');
  });

  it('is reproducible: the same seed and day give the same plan, another seed another', () => {
    const a = planHistory(config, 30, END, 7);
    expect(planHistory(config, 30, END + 3_600_000, 7)).toEqual(a);
    expect(planHistory(config, 30, END, 8).releases.map((r) => r.sha)).not.toEqual(
      a.releases.map((r) => r.sha),
    );
    const r = seededRandom(1);
    const xs = [r(), r(), r()];
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(1)()).toBe(xs[0]);
  });

  it('covers whole days before the present, releases in working hours, and finishes before the present', () => {
    const p = planHistory(config, 30, END, 1);
    expect(p.start).toBe(Date.parse('2026-11-03T00:00:00Z'));
    expect(p.end).toBe(Date.parse('2026-12-03T00:00:00Z'));
    for (const r of p.releases) {
      expect(r.at).toBeGreaterThanOrEqual(p.start);
      expect(r.at).toBeLessThan(p.end);
      const hour = new Date(r.at).getUTCHours();
      expect(hour).toBeGreaterThanOrEqual(8);
      expect(hour).toBeLessThan(18);
    }
    // 0–3 a weekday per project: a few a day in all.
    expect(p.releases.length / 30).toBeGreaterThan(1.5);
    expect(p.releases.length / 30).toBeLessThan(9);
  });

  it('has every kind of event in a week, with hotfixes after failures in production', () => {
    const p = planHistory(config, 7, END, 1);
    const kinds = new Set(allPlanned(p).map((r) => r.fault));
    expect([...kinds].sort()).toEqual([
      'manual-rollback',
      'none',
      'production-crash',
      'rejected',
      'staging-crash',
      'staging-unhealthy',
    ]);
    for (const r of p.releases.filter(
      (x) => x.fault === 'production-crash' || x.fault === 'manual-rollback',
    )) {
      if (r.followUp) {
        expect(r.followUp.hotfix).toBe(true);
        expect(r.followUp.at).toBeGreaterThan(r.at);
      }
    }
    // A crash at a lifecycle stage only where the last environment uses the blue/green family.
    for (const r of allPlanned(p).filter((x) => x.fault === 'production-crash'))
      expect(r.project).toBe('root/billing-app');
    expect(p.releases.some((r) => r.supersededBy && r.supersededBy.at > r.at)).toBe(true);
  });

  it("moves each project's commits forward, each before its own pipeline", () => {
    const p = planHistory(config, 90, END, 2);
    const byProject = new Map<string, number>();
    for (const r of allPlanned(p).sort((a, b) => a.at - b.at)) {
      expect(r.commits[r.commits.length - 1].sha).toBe(r.sha);
      expect(r.commitAt).toBeLessThan(r.at);
      const before = byProject.get(r.project) ?? -Infinity;
      // Never behind the project's previous head, always before the pipeline.
      for (const c of r.commits) {
        expect(c.at).toBeGreaterThan(before);
        expect(c.at).toBeLessThan(r.at);
      }
      byProject.set(r.project, r.commitAt);
    }
  });
  it('decides the pauses of billing-app as people would: most continue, one rolled back, one left to time out', () => {
    for (const seed of [1, 3, 5]) {
      const paused = allPlanned(planHistory(config, 14, END, seed)).filter((r) =>
        r.services.some((s) => hasPauses(config, s, 'production')),
      );
      const count = (d: string) => paused.filter((r) => r.pause === d).length;
      expect(count('rollback')).toBeGreaterThanOrEqual(1);
      expect(count('timeout')).toBeGreaterThanOrEqual(1);
      expect(count('continue')).toBeGreaterThan(count('rollback') + count('timeout'));
      // A release planned to fail another way (or a hotfix) is continued at its pause.
      for (const r of paused.filter((x) => x.fault !== 'none' || x.hotfix)) expect(r.pause).toBe('continue');
      for (const r of paused) expect(r.pauseReactionMs).toBeGreaterThanOrEqual(60_000);
    }
  });
});
