import {
  FAILED_DEPLOYMENT_OUTCOMES,
  type BeforeLedgerRelease,
  type LedgerEntry,
  type LedgerOutcome,
  type ReleaseLedgerEntry,
  type RollbackLedgerEntry,
} from './types';
import {
  failureRateLevel,
  frequencyLevel,
  leadTimeLevel,
  LEVELS_SOURCE,
  recoveryLevel,
  type PerformanceLevel,
} from './levels';

/**
 * DORA figures computed from ledger entries (a pure function: no I/O, no clock). Definitions follow
 * https://dora.dev/guides/dora-metrics-four-keys/ as Shipgate can observe them:
 *
 * - a **deployment** is a release entry with `deployment: true` (its rollout reached the environment),
 *   whatever its outcome; a **successful deployment** has outcome `deployed`;
 * - **deployment frequency** = successful deployments / window days;
 * - **change lead time** = for every commit new to the environment of a successful deployment, rollout end
 *   minus `committedAt` (median and p90, nearest rank); commits without a time are not counted;
 * - a **failed deployment** is a deployment whose outcome is `failed` / `rolled-back-by-ecs` /
 *   `rolled-back-by-shipgate`, or a successful deployment that a `rolled-back-by-hand` rollback entry names
 *   (rolled back before the window end); **change fail rate** = failed / deployments;
 * - **failed-deployment recovery time** = from failure detected (`failedAt`; for a hand rollback, when it
 *   was asked for) to good again: the rollback entry that restored the service, else the next successful
 *   deployment of that service there; a failure not recovered by the window end is counted `unrecovered`;
 * - **rework rate** = deployments marked `unplanned` / deployments.
 *
 * Each event falls in the bucket of its time: deployments and lead times by deployment time (`at`),
 * recoveries by detection time (a restore spanning midnight counts in the day it failed).
 */

/** Options of {@link computeDora}. */
export interface DoraOptions {
  environment: string;
  /** Window start (inclusive) and end (exclusive), ISO 8601. */
  from: string;
  to: string;
  /** The window as the caller wrote it (`30d`). */
  label?: string;
  /** Only these services (default: every service with entries). */
  services?: string[];
  /** When the report is made (ISO 8601); default `to`. */
  generatedAt?: string;
}

/** Median and p90 of a set of durations, in seconds. */
export interface DurationStats {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/** The five figures over a window (or a bucket). */
export interface DoraFigures {
  deploymentFrequency: {
    /** Successful deployments. */
    deployments: number;
    perDay: number;
    perWeek: number;
    level: PerformanceLevel | null;
  };
  leadTime: DurationStats & { level: PerformanceLevel | null };
  changeFailureRate: {
    failedDeployments: number;
    /** Every deployment (successful or failed). */
    deployments: number;
    /** 0–1, `null` without deployments. */
    rate: number | null;
    level: PerformanceLevel | null;
  };
  recoveryTime: DurationStats & {
    /** Failed deployments detected in the window. */
    failures: number;
    unrecovered: number;
    level: PerformanceLevel | null;
  };
  reworkRate: {
    unplannedDeployments: number;
    deployments: number;
    rate: number | null;
    /** The 2024 report has no clusters for rework rate. */
    level: null;
  };
}

/** One bucket of a series. */
export interface DoraBucket {
  /** Bucket start (inclusive) and end (exclusive), ISO 8601, UTC days / ISO weeks (Monday). */
  start: string;
  end: string;
  figures: DoraFigures;
}

/** Figures of one scope (all services, or one) with their daily and weekly series. */
export interface DoraScope {
  figures: DoraFigures;
  daily: DoraBucket[];
  weekly: DoraBucket[];
}

/** A failed deployment and its recovery, for timelines. */
export interface DoraFailure {
  service: string;
  releaseId: string;
  outcome: LedgerOutcome;
  detectedAt: string;
  restoredAt?: string;
  recoverySeconds?: number;
  /** `rollback` (a rollback entry) or `redeploy` (the next successful deployment). */
  restoredBy?: 'rollback' | 'redeploy';
}

/** One lead-time sample (a commit of a successful deployment). */
export interface DoraLeadTimeHistogramBin {
  /** Label, e.g. `< 1h`. */
  label: string;
  /** Lower bound (inclusive) and upper bound (exclusive, `null` = unbounded), seconds. */
  minSeconds: number;
  maxSeconds: number | null;
  count: number;
}

/** The report `GET /api/metrics/dora` serves and `shipgate dora` prints. */
export interface DoraReport {
  environment: string;
  window: { from: string; to: string; days: number; label?: string };
  generatedAt: string;
  /** All services together. */
  overall: DoraScope;
  /** By service name. */
  services: Record<string, DoraScope>;
  /** Failed deployments detected in the window, oldest first. */
  failures: DoraFailure[];
  /** Lead-time distribution over fixed bins. */
  leadTimeHistogram: DoraLeadTimeHistogramBin[];
  /** Releases recorded before the ledger existed (filled by the API from the release store). */
  beforeLedger: BeforeLedgerRelease[];
  /** Entries the figures were computed from. */
  entries: number;
  levelsSource: string;
  definitions: string;
}

/** Where the definitions come from. */
export const DEFINITIONS_SOURCE = 'https://dora.dev/guides/dora-metrics-four-keys/';

const DAY_MS = 86_400_000;
const FAILED: ReadonlySet<LedgerOutcome> = new Set(FAILED_DEPLOYMENT_OUTCOMES);
const HISTOGRAM: [string, number, number | null][] = [
  ['< 1h', 0, 3600],
  ['1h–1d', 3600, 86_400],
  ['1d–1w', 86_400, 604_800],
  ['1w–1mo', 604_800, 2_592_000],
  ['≥ 1mo', 2_592_000, null],
];

/** Nearest-rank percentile of sorted values (`p` in 0–1), `null` when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1];
}

/** Median of sorted values (mean of the two middle ones for an even count), `null` when empty. */
export function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function stats(values: number[]): DurationStats {
  if (values.length === 0) return { count: 0, medianSeconds: null, p90Seconds: null };
  // A typed array sorts numerically without a comparator (several times faster at 100k samples).
  const sorted = Float64Array.from(values).sort() as unknown as number[];
  return { count: sorted.length, medianSeconds: median(sorted), p90Seconds: percentile(sorted, 0.9) };
}

/** What one scope or bucket accumulates. */
interface Tally {
  successful: number;
  deployments: number;
  failed: number;
  unplanned: number;
  leadTimes: number[];
  recoveries: number[];
  failures: number;
  unrecovered: number;
}

const emptyTally = (): Tally => ({
  successful: 0,
  deployments: 0,
  failed: 0,
  unplanned: 0,
  leadTimes: [],
  recoveries: [],
  failures: 0,
  unrecovered: 0,
});

function figuresOf(t: Tally, days: number): DoraFigures {
  const perDay = days > 0 ? t.successful / days : 0;
  const lead = stats(t.leadTimes);
  const recovery = stats(t.recoveries);
  const rate = t.deployments > 0 ? t.failed / t.deployments : null;
  const rework = t.deployments > 0 ? t.unplanned / t.deployments : null;
  return {
    deploymentFrequency: {
      deployments: t.successful,
      perDay,
      perWeek: perDay * 7,
      level: frequencyLevel(perDay, t.successful),
    },
    leadTime: { ...lead, level: leadTimeLevel(lead.medianSeconds) },
    changeFailureRate: {
      failedDeployments: t.failed,
      deployments: t.deployments,
      rate,
      level: failureRateLevel(rate),
    },
    recoveryTime: {
      ...recovery,
      failures: t.failures,
      unrecovered: t.unrecovered,
      level: recoveryLevel(recovery.medianSeconds),
    },
    reworkRate: { unplannedDeployments: t.unplanned, deployments: t.deployments, rate: rework, level: null },
  };
}

/** Start of the UTC day of `ms`. */
const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
/** Start of the ISO week (Monday 00:00 UTC) of `ms`. */
const weekStart = (ms: number): number => {
  const d = dayStart(ms);
  const weekday = (new Date(d).getUTCDay() + 6) % 7; // Monday = 0
  return d - weekday * DAY_MS;
};

/** A series of buckets covering [from, to). */
class Series {
  readonly starts: number[] = [];
  readonly tallies: Tally[] = [];
  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly size: number,
    first: number,
  ) {
    for (let s = first; s < to; s += size) {
      this.starts.push(s);
      this.tallies.push(emptyTally());
    }
  }
  at(ms: number): Tally {
    return this.tallies[Math.floor((ms - this.starts[0]) / this.size)];
  }
  buckets(): DoraBucket[] {
    return this.starts.map((s, i) => {
      // A partial first or last bucket covers only the part inside the window.
      const days = (Math.min(s + this.size, this.to) - Math.max(s, this.from)) / DAY_MS;
      return {
        start: new Date(s).toISOString(),
        end: new Date(s + this.size).toISOString(),
        figures: figuresOf(this.tallies[i], days),
      };
    });
  }
}

/** Accumulators of one scope. */
class Scope {
  readonly total = emptyTally();
  readonly daily: Series;
  readonly weekly: Series;
  constructor(
    from: number,
    to: number,
    private readonly days: number,
  ) {
    this.daily = new Series(from, to, DAY_MS, dayStart(from));
    this.weekly = new Series(from, to, 7 * DAY_MS, weekStart(from));
  }
  add(ms: number, fn: (t: Tally) => void): void {
    fn(this.total);
    fn(this.daily.at(ms));
    fn(this.weekly.at(ms));
  }
  result(): DoraScope {
    return {
      figures: figuresOf(this.total, this.days),
      daily: this.daily.buckets(),
      weekly: this.weekly.buckets(),
    };
  }
}

const key = (service: string, releaseId: string) => `${service}\n${releaseId}`;

/** Successful deployments of one service, sorted by time, for "next good deployment" look-ups. */
function firstAtOrAfter(times: number[], ms: number): number | undefined {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo < times.length ? times[lo] : undefined;
}

/**
 * Computes the DORA figures of one environment over [from, to) from ledger entries (any order; entries of
 * other environments are ignored; entries after `to` are only used as restores of failures in the window,
 * never counted).
 * @example const report = computeDora(entries, { environment: 'production', from, to, label: '30d' });
 */
export function computeDora(entries: readonly LedgerEntry[], options: DoraOptions): DoraReport {
  const from = Date.parse(options.from);
  const to = Date.parse(options.to);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError(`computeDora: window ${options.from} – ${options.to} is not a valid time range`);
  }
  const days = (to - from) / DAY_MS;
  const only = options.services ? new Set(options.services) : undefined;
  const mine = entries.filter((e) => e.environment === options.environment && (!only || only.has(e.service)));

  const releases: ReleaseLedgerEntry[] = [];
  const rollbacks: RollbackLedgerEntry[] = [];
  for (const e of mine) {
    if (e.kind === 'release') releases.push(e);
    else rollbacks.push(e);
  }

  // Restores: automatic rollbacks by (service, release); hand rollbacks of a deployed release.
  const rollbackOf = new Map<string, RollbackLedgerEntry>();
  for (const r of rollbacks) {
    if (!r.rolledBackReleaseId || Date.parse(r.restoredAt) >= to) continue;
    const k = key(r.service, r.rolledBackReleaseId);
    const had = rollbackOf.get(k);
    if (!had || r.restoredAt < had.restoredAt) rollbackOf.set(k, r);
  }
  const goodTimes = new Map<string, number[]>();
  for (const e of releases) {
    if (e.outcome !== 'deployed' || !e.deployment) continue;
    const list = goodTimes.get(e.service) ?? [];
    list.push(Date.parse(e.rolloutFinishedAt ?? e.at));
    goodTimes.set(e.service, list);
  }
  for (const list of goodTimes.values()) list.sort((a, b) => a - b);

  const overall = new Scope(from, to, days);
  const byService = new Map<string, Scope>();
  const scopeOf = (service: string) => {
    let s = byService.get(service);
    if (!s) byService.set(service, (s = new Scope(from, to, days)));
    return s;
  };
  for (const service of options.services ?? []) scopeOf(service);
  const failures: DoraFailure[] = [];
  const histogram = HISTOGRAM.map(([label, minSeconds, maxSeconds]) => ({
    label,
    minSeconds,
    maxSeconds,
    count: 0,
  }));

  const recordFailure = (
    service: string,
    releaseId: string,
    outcome: LedgerOutcome,
    detected: number,
    restore?: { at: number; by: 'rollback' | 'redeploy' },
  ) => {
    const seconds = restore ? Math.max(0, (restore.at - detected) / 1000) : undefined;
    failures.push({
      service,
      releaseId,
      outcome,
      detectedAt: new Date(detected).toISOString(),
      ...(restore
        ? { restoredAt: new Date(restore.at).toISOString(), recoverySeconds: seconds, restoredBy: restore.by }
        : {}),
    });
    const fn = (t: Tally) => {
      t.failures += 1;
      if (seconds === undefined) t.unrecovered += 1;
      else t.recoveries.push(seconds);
    };
    overall.add(detected, fn);
    scopeOf(service).add(detected, fn);
  };

  for (const e of releases) {
    if (!e.deployment) continue;
    const at = Date.parse(e.at);
    if (!(at >= from && at < to)) continue;
    const failedOutcome = FAILED.has(e.outcome);
    const handRollback = e.outcome === 'deployed' ? rollbackOf.get(key(e.service, e.releaseId)) : undefined;
    const failed = failedOutcome || handRollback !== undefined;
    const leadTimes: number[] = [];
    if (e.outcome === 'deployed') {
      const running = Date.parse(e.rolloutFinishedAt ?? e.at);
      for (const c of e.commits) {
        if (!c.committedAt) continue;
        const seconds = (running - Date.parse(c.committedAt)) / 1000;
        if (Number.isFinite(seconds) && seconds >= 0) leadTimes.push(seconds);
      }
    }
    for (const seconds of leadTimes) {
      const bin = histogram.find(
        (b) => seconds >= b.minSeconds && (b.maxSeconds === null || seconds < b.maxSeconds),
      );
      if (bin) bin.count += 1;
    }
    const deployed = e.outcome === 'deployed';
    const add = (t: Tally) => {
      t.deployments += 1;
      if (deployed) t.successful += 1;
      if (failed) t.failed += 1;
      if (e.unplanned) t.unplanned += 1;
      for (let i = 0; i < leadTimes.length; i++) t.leadTimes.push(leadTimes[i]);
    };
    overall.add(at, add);
    scopeOf(e.service).add(at, add);

    if (failedOutcome) {
      const detected = Date.parse(e.failedAt ?? e.at);
      const rollback = rollbackOf.get(key(e.service, e.releaseId));
      const next = firstAtOrAfter(goodTimes.get(e.service) ?? [], detected);
      const restore = rollback
        ? { at: Date.parse(rollback.restoredAt), by: 'rollback' as const }
        : next !== undefined && next < to
          ? { at: next, by: 'redeploy' as const }
          : undefined;
      recordFailure(e.service, e.releaseId, e.outcome, detected, restore);
    }
  }
  // Hand rollbacks detected in the window: the deployment they undid failed; recovery = the rollback.
  for (const r of rollbacks) {
    if (r.outcome !== 'rolled-back-by-hand') continue;
    const detected = Date.parse(r.detectedAt);
    if (!(detected >= from && detected < to)) continue;
    const restoredAt = Date.parse(r.restoredAt);
    recordFailure(
      r.service,
      r.rolledBackReleaseId ?? r.rollbackId,
      r.outcome,
      detected,
      restoredAt < to ? { at: restoredAt, by: 'rollback' } : undefined,
    );
  }
  failures.sort((a, b) => a.detectedAt.localeCompare(b.detectedAt));

  return {
    environment: options.environment,
    window: {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      days,
      ...(options.label ? { label: options.label } : {}),
    },
    generatedAt: options.generatedAt ?? new Date(to).toISOString(),
    overall: overall.result(),
    services: Object.fromEntries(
      [...byService.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => [name, s.result()]),
    ),
    failures,
    leadTimeHistogram: histogram,
    beforeLedger: [],
    entries: mine.length,
    levelsSource: LEVELS_SOURCE,
    definitions: DEFINITIONS_SOURCE,
  };
}
