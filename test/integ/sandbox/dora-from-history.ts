/**
 * DORA figures re-derived for a test WITHOUT the release ledger: from the Step Functions execution histories
 * (`GetExecutionHistory`), the manual rollbacks (`GET /api/rollbacks`, which are not executions) and the
 * commits the history generator planned (what GitLab holds). Definitions as dora.dev words them:
 * - a production deployment is an execution that entered "Deploy <env>"; it succeeded when the execution
 *   succeeded; it failed when the execution failed after that, or when a person rolled it back by hand;
 * - change lead time: for every commit new to production with a successful deployment — after the commit
 *   that ran there (a failed deployment leaves it; a manual rollback moves it back to the restored release)
 *   up to the deployed SHA on a linear default branch; the first one brings only its own commit — from its
 *   commit time to the end of "Deploy <env>";
 * - recovery: from the failed task in "Deploy/Verify <env>" to the end of "Roll back <env>", or from a manual
 *   rollback's request to its finish.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { PlannedCommit, PlannedRelease } from '../../../sandbox/history/plan';

/** One execution as the test read it. */
export interface ReadExecution {
  name: string;
  status: string;
  input: { release: { id: string; project: { path: string }; commit: { sha: string }; services: string[] } };
  events: HistoryEvent[];
}

/** A manual rollback as `GET /api/rollbacks` lists it. */
export interface ReadRollback {
  service: string;
  environment: string;
  status: string;
  requestedAt: string;
  finishedAt?: string;
  from: { releaseId: string };
  to: { releaseId: string };
}

/** The figures the test compares. */
export interface DerivedFigures {
  successfulDeployments: number;
  deployments: number;
  failedDeployments: number;
  leadTimes: number[];
  recoveries: number[];
}

const t = (e: HistoryEvent | undefined) => (e?.timestamp ? new Date(e.timestamp).getTime() : undefined);
const named = (events: HistoryEvent[], type: string, name: string) =>
  events.find(
    (e) => e.type === type && (e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name) === name,
  );

/** Derives the figures of `environment` in [from, to) (epoch ms). */
export function deriveDora(
  executions: ReadExecution[],
  rollbacks: ReadRollback[],
  planned: PlannedRelease[],
  environment: string,
  from: number,
  to: number,
): DerivedFigures {
  const inWindow = (at: number | undefined) => at !== undefined && at >= from && at < to;
  const byHand = new Map<string, ReadRollback>();
  for (const r of rollbacks)
    if (r.environment === environment && r.status === 'ROLLED_BACK') byHand.set(r.from.releaseId, r);
  const out: DerivedFigures = {
    successfulDeployments: 0,
    deployments: 0,
    failedDeployments: 0,
    leadTimes: [],
    recoveries: [],
  };
  // What moves the commit that runs in production: successful deployments, and manual rollbacks.
  const moves: { project: string; sha: string; at: number; deployed: boolean }[] = [];
  const shaOf = new Map(executions.map((e) => [e.input.release.id, e.input.release]));
  for (const r of byHand.values()) {
    const to = shaOf.get(r.to.releaseId);
    if (to)
      moves.push({
        project: to.project.path,
        sha: to.commit.sha,
        at: Date.parse(r.finishedAt!),
        deployed: false,
      });
  }
  for (const e of executions) {
    const entered = named(e.events, 'MapStateEntered', `Deploy ${environment}`);
    if (!entered) continue;
    const services = e.input.release.services.length;
    if (e.status === 'SUCCEEDED') {
      const at = t(named(e.events, 'MapStateExited', `Deploy ${environment}`));
      if (!inWindow(at)) continue;
      out.deployments += services;
      out.successfulDeployments += services;
      moves.push({
        project: e.input.release.project.path,
        sha: e.input.release.commit.sha,
        at: at!,
        deployed: true,
      });
      const hand = byHand.get(e.input.release.id);
      if (hand && Date.parse(hand.finishedAt ?? hand.requestedAt) < to) {
        out.failedDeployments += 1;
        out.recoveries.push((Date.parse(hand.finishedAt!) - Date.parse(hand.requestedAt)) / 1000);
      }
      continue;
    }
    // Failed after it entered the deployment: the failed task in Deploy/Verify is when it was detected.
    const after = e.events.filter((x) => (x.id ?? 0) > (entered.id ?? 0));
    const failed = after.find((x) => x.type === 'TaskFailed' || x.type === 'MapIterationFailed');
    const detected = t(failed);
    if (!inWindow(detected)) continue;
    out.deployments += services;
    out.failedDeployments += services;
    const restored = t(named(e.events, 'MapStateExited', `Roll back ${environment}`));
    if (restored !== undefined && restored < to) out.recoveries.push((restored - detected!) / 1000);
  }
  // Lead time: commits new to production, on a linear history ordered by commit time.
  const history = new Map<string, PlannedCommit[]>();
  for (const r of planned) history.set(r.project, [...(history.get(r.project) ?? []), ...r.commits]);
  for (const commits of history.values()) commits.sort((a, b) => a.at - b.at);
  const running = new Map<string, number>();
  for (const m of moves.sort((a, b) => a.at - b.at)) {
    const commits = history.get(m.project) ?? [];
    const head = commits.findIndex((c) => c.sha === m.sha);
    // The first release into production has no compare base: only its own commit counts (as GitLab shows it).
    const base = running.get(m.project) ?? head - 1;
    if (m.deployed && m.at < to)
      for (let i = base + 1; i <= head; i++) out.leadTimes.push((m.at - commits[i].at) / 1000);
    running.set(m.project, head);
  }
  return out;
}

/** Nearest-rank percentile (p in 0–1) of unsorted values, and the median the usual way. */
export function stats(values: number[]): { median: number | null; p90: number | null } {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return { median: null, p90: null };
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
  return { median, p90: s[Math.max(1, Math.ceil(0.9 * s.length)) - 1] };
}
