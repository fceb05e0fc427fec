import { computeDora } from '../lambdas/domain/ledger/dora';
import type { LedgerEntry } from '../lambdas/domain/ledger/types';

/**
 * DORA figures from the ledger (issue 20): how long {@link computeDora} takes for 1k, 10k and 100k ledger
 * entries (a 90-day window of one environment, three services, daily and weekly buckets), and how that grows
 * per 10× more entries. Entries are generated from a fixed seed: ~8% of deployments fail and are rolled back
 * (each with its rollback entry), ~5% are unplanned, each deployment brings 1–5 commits.
 */

/** One size. */
export interface DoraSize {
  entries: number;
  /** Median of the timed runs, ms. */
  medianMs: number;
  runs: number;
  /** Microseconds per entry. */
  usPerEntry: number;
}

/** Results of the DORA bench. */
export interface DoraResults {
  sizes: DoraSize[];
  /** time(10k) / time(1k) and time(100k) / time(10k): 10 = linear. */
  growth: Record<string, number>;
}

const SERVICES = ['inventory-app', 'api-gateway', 'billing-app'];
const FROM = Date.parse('2026-08-01T00:00:00.000Z');
const DAYS = 90;

/** A small deterministic PRNG (mulberry32), so every run measures the same ledger. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` ledger entries (release entries plus the rollback entries of their failures) over 90 days. */
export function generateLedger(n: number, seed = 20): LedgerEntry[] {
  const rnd = prng(seed);
  const out: LedgerEntry[] = [];
  const step = (DAYS * 86_400_000) / n;
  for (let i = 0; out.length < n; i++) {
    const at = FROM + i * step + rnd() * step;
    const service = SERVICES[i % SERVICES.length];
    const releaseId = `${service}-r${i}`;
    const failed = rnd() < 0.08;
    const iso = new Date(at).toISOString();
    const commits = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, k) => ({
      sha: `${i.toString(16).padStart(8, '0')}${k}`.padEnd(40, '0'),
      committedAt: new Date(at - rnd() * 3 * 86_400_000).toISOString(),
    }));
    out.push({
      kind: 'release',
      id: `release#${releaseId}#production#${service}`,
      service,
      environment: 'production',
      projectId: 1,
      projectPath: `root/${service}`,
      outcome: failed ? 'rolled-back-by-shipgate' : 'deployed',
      at: iso,
      recordedAt: iso,
      releaseId,
      commitSha: commits[0].sha,
      deployment: true,
      commits: failed ? [] : commits,
      commitsSource: 'gitlab-compare',
      pipelineFinishedAt: iso,
      ...(failed ? { failedAt: iso } : { rolloutFinishedAt: iso }),
      unplanned: rnd() < 0.05,
      unplannedReasons: [],
    });
    if (failed && out.length < n) {
      const restored = new Date(at + rnd() * 3_600_000).toISOString();
      out.push({
        kind: 'rollback',
        id: `rollback#${releaseId}#production#${service}`,
        service,
        environment: 'production',
        projectId: 1,
        projectPath: `root/${service}`,
        outcome: 'rolled-back-by-shipgate',
        at: restored,
        recordedAt: restored,
        rollbackId: releaseId,
        rolledBackReleaseId: releaseId,
        restored: {},
        detectedAt: iso,
        restoredAt: restored,
      });
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Times {@link computeDora} over generated ledgers of each size. */
export async function benchDora(
  sizes: number[] = [1_000, 10_000, 100_000],
  log: (line: string) => void = () => undefined,
): Promise<DoraResults> {
  const options = {
    environment: 'production',
    from: new Date(FROM).toISOString(),
    to: new Date(FROM + DAYS * 86_400_000).toISOString(),
    label: '90d',
  };
  const results: DoraSize[] = [];
  for (const n of sizes) {
    const entries = generateLedger(n);
    computeDora(entries, options); // warm-up (JIT)
    const runs = n >= 100_000 ? 5 : 15;
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      computeDora(entries, options);
      times.push(performance.now() - t0);
    }
    const medianMs = Math.round(median(times) * 100) / 100;
    results.push({ entries: n, medianMs, runs, usPerEntry: Math.round((medianMs * 1000 * 100) / n) / 100 });
    log(`dora: ${n} entries in ${medianMs} ms (median of ${runs})`);
  }
  const growth: Record<string, number> = {};
  for (let i = 1; i < results.length; i++) {
    growth[`${results[i].entries}/${results[i - 1].entries}`] =
      Math.round((results[i].medianMs / results[i - 1].medianMs) * 100) / 100;
  }
  return { sizes: results, growth };
}
