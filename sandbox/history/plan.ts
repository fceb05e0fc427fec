import { createHash } from 'node:crypto';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import { ShipgateError } from '../../lambdas/shared/errors';
import { seededRandom } from '../aws/variation';

/** `--history` was given something that is not a window such as `30d` or `90d`. */
export class HistoryWindowError extends ShipgateError {
  static override readonly errorName: string = 'HistoryWindowError';
}

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;

/** Longest history the generator makes (days). */
export const MAX_HISTORY_DAYS = 365;

/**
 * What goes wrong in a planned release, and through which real path:
 * - `staging-unhealthy`: the image fails its smoke check (`org.shipgate.sandbox.rollout=unhealthy`), so
 *   Shipgate's verify fails in the first environment and Shipgate rolls it back;
 * - `staging-crash`: the tasks crash (`rollout=fail`), ECS's circuit breaker rolls back in the first
 *   environment;
 * - `production-crash`: the tasks fail at a lifecycle stage in the last environment only
 *   (`org.shipgate.sandbox.fail-at=<STAGE>@<env>`, blue/green-family services), ECS rolls back there;
 * - `manual-rollback`: it reaches the last environment, and a person rolls it back by hand (POST
 *   /api/rollbacks) some hours later;
 * - `rejected`: an approver rejects it at the last gate.
 */
export type Fault =
  'none' | 'staging-unhealthy' | 'staging-crash' | 'production-crash' | 'manual-rollback' | 'rejected';

/**
 * What people do when a rollout of the release waits at a pause (an ECS PAUSE hook): most continue it, some
 * roll it back, and now and then nobody decides before ECS's timeout.
 */
export type PauseDecision = 'continue' | 'rollback' | 'timeout';

/** A commit of a planned release (the history GitLab serves it to the compare API). */
export interface PlannedCommit {
  sha: string;
  title: string;
  /** Authored = committed time (epoch ms). */
  at: number;
}

/** One release the generator will drive, at a simulated time. */
export interface PlannedRelease {
  /** Simulated time of the pipeline webhook (epoch ms). */
  at: number;
  /** GitLab project path. */
  project: string;
  services: string[];
  /** Commit SHA (40 hex, derived from the seed). */
  sha: string;
  title: string;
  /** Authored/committed time of the head commit (epoch ms, before `at`). */
  commitAt: number;
  /** The commits since the project's previous release, oldest first; the last is the head (`sha`). */
  commits: PlannedCommit[];
  fault: Fault;
  /** A fix for a failure a few hours earlier. */
  hotfix: boolean;
  /** How long approvers take to answer each gate (ms), in environment order. */
  reactionsMs: number[];
  /** What people do at a pause of this release's rollouts (ignored where no pause is configured). */
  pause: PauseDecision;
  /** How long people take to decide a pause (ms). */
  pauseReactionMs: number;
  /** For `manual-rollback`: how long after the release the rollback is asked for (ms). */
  rollbackAfterMs?: number;
  /** A newer release of the project that arrives while this one waits at the last gate (supersedes it). */
  supersededBy?: PlannedRelease;
  /** The hotfix after a failure in the last environment: driven once the failure (and rollback) happened. */
  followUp?: PlannedRelease;
}

/**
 * Keeps each project's history moving forward, as a default branch does: every release's commits come after
 * the commits of the project's releases planned before it (and before its own pipeline).
 */
function forwardOnly(releases: PlannedRelease[]): void {
  const heads = new Map<string, number>();
  for (const r of allPlanned({ releases }).sort((a, b) => a.at - b.at)) {
    let floor = heads.get(r.project) ?? -Infinity;
    for (const c of r.commits) {
      c.at = Math.min(r.at - MINUTE, Math.max(c.at, floor + MINUTE));
      floor = c.at;
    }
    r.commitAt = r.commits[r.commits.length - 1].at;
    heads.set(r.project, r.commitAt);
  }
}

/** Every planned release, those that supersede another and hotfixes included. */
export function allPlanned(plan: Pick<HistoryPlan, 'releases'>): PlannedRelease[] {
  return plan.releases.flatMap((r) => [
    r,
    ...(r.supersededBy ? [r.supersededBy] : []),
    ...(r.followUp ? [r.followUp] : []),
  ]);
}

/**
 * People continue most pauses; a plain release (no other planned fault, not a hotfix) is rolled back at its
 * pause about one time in eight and left undecided until ECS's timeout about one time in twelve.
 */
export function pauseDecision(r: number, fault: Fault, hotfix: boolean): PauseDecision {
  if (fault !== 'none' || hotfix) return 'continue';
  return r < 0.12 ? 'rollback' : r < 0.2 ? 'timeout' : 'continue';
}

/** A plan of releases over a window, oldest first. */
export interface HistoryPlan {
  start: number;
  end: number;
  days: number;
  seed: number;
  releases: PlannedRelease[];
}

/** Parses a window such as `30d` or `90d` (whole days, 1–365). */
export function parseHistoryWindow(text: string): number {
  const m = /^(\d{1,3})d$/.exec(text.trim());
  const days = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_HISTORY_DAYS) {
    throw new HistoryWindowError(
      `--history takes a number of days such as 30d or 90d (1d–${MAX_HISTORY_DAYS}d), received "${text}".`,
    );
  }
  return days;
}

/** Whether a service rolls out with ECS's blue/green family in that environment (lifecycle stages exist). */
export function hasLifecycleStages(config: ShipgateConfig, service: string, environment: string): boolean {
  const strategy = (
    config.services[service]?.environments as Record<string, { strategy?: string }> | undefined
  )?.[environment]?.strategy;
  return strategy === 'BLUE_GREEN' || strategy === 'CANARY' || strategy === 'LINEAR';
}

/** Whether people decide a pause of the service's rollouts in that environment (ECS PAUSE hooks). */
export function hasPauses(config: ShipgateConfig, service: string, environment: string): boolean {
  const env = (
    config.services[service]?.environments as Record<string, { pauses?: unknown[] }> | undefined
  )?.[environment];
  return (env?.pauses?.length ?? 0) > 0;
}

const SUBJECTS = [
  'Add pagination to the listing endpoint',
  'Bump base image',
  'Fix rounding in totals',
  'Cache lookups for 60 s',
  'Tighten input validation',
  'Log the request id',
  'Retry the upstream call once',
  'Rename a config key',
  'Speed up the health check',
  'Drop an unused dependency',
];

/**
 * Plans a plausible delivery history for every configured project over the `days` whole days before the
 * day of `end`: on
 * weekdays 0–3 releases per project (rarely one at the weekend) between 08:00 and 18:00 UTC, commits
 * authored minutes to days before their pipeline, approvers answering within minutes to hours, some
 * failures of each kind (see `Fault`), a hotfix a few hours after each failure in production, now and
 * then a release superseded at the last gate. The same seed gives the same plan for the same `end` day.
 */
export function planHistory(config: ShipgateConfig, days: number, end: number, seed: number): HistoryPlan {
  const rnd = seededRandom(seed);
  // Pause decisions draw from their own sequence, so adding them left every other planned choice as it was.
  const pauseRnd = seededRandom(seed ^ 0x5bd1e995);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const gates = config.environments.length;
  const last = config.environments[gates - 1].name;
  // Whole days before the day of `end`, so every release and its gates finish before `end` (the present).
  const firstDay = Math.floor(end / DAY) * DAY - days * DAY;
  const start = firstDay;
  const latest = firstDay + days * DAY - 4 * HOUR;
  let n = 0;
  const sha = () => createHash('sha1').update(`shipgate-history:${seed}:${n++}`).digest('hex');
  const reactions = (hotfix: boolean) =>
    Array.from({ length: gates }, () =>
      Math.round(hotfix ? between(2, 20) * MINUTE : Math.exp(between(Math.log(2), Math.log(120))) * MINUTE),
    );
  const make = (at: number, project: string, services: string[], fault: Fault, hotfix: boolean) => {
    const lead = hotfix ? between(10, 45) * MINUTE : Math.exp(between(Math.log(20), Math.log(4320))) * MINUTE;
    const title = hotfix ? `Hotfix: ${pick(SUBJECTS).toLowerCase()}` : pick(SUBJECTS);
    const head = { sha: sha(), title, at: Math.round(at - lead) };
    // Up to three earlier commits, minutes to a day before the head (a hotfix is one commit).
    const earlier = hotfix ? 0 : Math.floor(rnd() * 4);
    const commits: PlannedCommit[] = [];
    for (let i = earlier; i > 0; i--) {
      commits.push({
        sha: sha(),
        title: pick(SUBJECTS),
        at: Math.round(head.at - i * between(5, 480) * MINUTE),
      });
    }
    commits.sort((a, b) => a.at - b.at).push(head);
    const release: PlannedRelease = {
      at: Math.round(at),
      project,
      services,
      sha: head.sha,
      title,
      commitAt: head.at,
      commits,
      fault,
      hotfix,
      reactionsMs: reactions(hotfix),
      pause: pauseDecision(pauseRnd(), fault, hotfix),
      pauseReactionMs: Math.round((1 + pauseRnd() * 14) * MINUTE),
    };
    return release;
  };

  // Adds what a release's fault brings: the rollback delay, the hotfix after a failure in the last
  // environment, or (`supersede`) a newer release that arrives while it waits at the last gate.
  const shape = (release: PlannedRelease, supersede: boolean) => {
    const { at, project, services, fault } = release;
    if (fault === 'manual-rollback') release.rollbackAfterMs ??= Math.round(between(20, 180) * MINUTE);
    if (fault === 'none' && supersede) {
      release.supersededBy = make(at + between(30, 150) * MINUTE, project, services, 'none', false);
    }
    if (fault === 'production-crash' || fault === 'manual-rollback') {
      const fixAt = at + (release.rollbackAfterMs ?? 0) + between(1, 5) * HOUR;
      if (fixAt < latest) release.followUp = make(fixAt, project, services, 'none', true);
    }
    return release;
  };
  const releases: PlannedRelease[] = [];
  for (let d = 0; d < days; d++) {
    const day = firstDay + d * DAY;
    const weekend = [0, 6].includes(new Date(day).getUTCDay());
    for (const project of config.projects) {
      const r = rnd();
      const count = weekend ? (r < 0.08 ? 1 : 0) : r < 0.25 ? 0 : r < 0.6 ? 1 : r < 0.85 ? 2 : 3;
      for (let i = 0; i < count; i++) {
        const at = day + between(8.5, 17.5) * HOUR;
        if (at > latest) continue;
        const crashable = project.services.some((s) => hasLifecycleStages(config, s, last));
        const f = rnd();
        const fault: Fault =
          f < 0.05
            ? 'staging-unhealthy'
            : f < 0.08
              ? 'staging-crash'
              : f < 0.14
                ? crashable
                  ? 'production-crash'
                  : 'manual-rollback'
                : f < 0.18
                  ? 'manual-rollback'
                  : f < 0.2
                    ? 'rejected'
                    : 'none';
        releases.push(shape(make(at, project.path, project.services, fault, false), rnd() < 0.06));
      }
    }
  }
  // A week or more shows every kind of event at least once: a missing kind goes to a plain release.
  const plain = () => releases.filter((r) => r.fault === 'none' && !r.supersededBy && !r.hotfix);
  const kinds: Fault[] = [
    'staging-unhealthy',
    'staging-crash',
    'production-crash',
    'manual-rollback',
    'rejected',
  ];
  for (const kind of days >= 7 ? kinds : []) {
    if (releases.some((r) => r.fault === kind)) continue;
    const fits = plain().filter(
      (r) => kind !== 'production-crash' || r.services.some((s) => hasLifecycleStages(config, s, last)),
    );
    if (fits.length) shape(Object.assign(pick(fits), { fault: kind, pause: 'continue' }), false);
  }
  // …and, where a pause is configured, people rolling back at a pause and letting one time out.
  const pausing = () =>
    plain().filter((r) => r.pause === 'continue' && r.services.some((s) => hasPauses(config, s, last)));
  for (const decision of days >= 7 ? (['rollback', 'timeout'] as const) : []) {
    const paused = allPlanned({ releases }).filter((r) => r.services.some((s) => hasPauses(config, s, last)));
    if (paused.some((r) => r.pause === decision) || !pausing().length) continue;
    pick(pausing()).pause = decision;
  }
  if (days >= 7 && !releases.some((r) => r.supersededBy) && plain().length) shape(pick(plain()), true);
  releases.sort((a, b) => a.at - b.at);
  forwardOnly(releases);
  return { start, end: firstDay + days * DAY, days, seed, releases };
}
