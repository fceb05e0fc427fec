/**
 * Types of the release ledger: an append-only record, in the Shipgate table, of what happened to each
 * release in each environment (one entry per release × environment × service) and of each rollback (one
 * entry per rolled-back service). DORA figures ({@link ./dora}) are computed from these entries only.
 *
 * The outcome strings are a stable contract (API, CLI, console, stored items): never rename one.
 */

/** What a release transition or a rollback ended as. */
export const LEDGER_OUTCOMES = [
  'deployed',
  'failed',
  'rolled-back-by-ecs',
  'rolled-back-by-shipgate',
  'rolled-back-by-hand',
  'superseded',
  'rejected',
] as const;
/** One of {@link LEDGER_OUTCOMES}. */
export type LedgerOutcome = (typeof LEDGER_OUTCOMES)[number];

/** Outcomes of a rollout that reached the environment and failed there (a failed deployment). */
export const FAILED_DEPLOYMENT_OUTCOMES: readonly LedgerOutcome[] = [
  'failed',
  'rolled-back-by-ecs',
  'rolled-back-by-shipgate',
];

/** Outcomes a rollback entry can have. */
export const ROLLBACK_OUTCOMES: readonly LedgerOutcome[] = [
  'rolled-back-by-ecs',
  'rolled-back-by-shipgate',
  'rolled-back-by-hand',
];

/** A commit new to the environment, as GitLab's compare API lists it. */
export interface LedgerCommit {
  sha: string;
  title?: string;
  /** ISO 8601 (`authored_date`). */
  authoredAt?: string;
  /** ISO 8601 (`committed_date`): change lead time starts here. */
  committedAt?: string;
}

/**
 * Where the commit list came from: `gitlab-compare` (compare API between the previous and this release's SHA
 * in this environment), `gitlab-commit` (first release into the environment: the release commit only, read
 * from GitLab), `release` (GitLab not reachable or not configured: the release commit without times, so it
 * adds nothing to lead time).
 */
export type CommitsSource = 'gitlab-compare' | 'gitlab-commit' | 'release';

/** Approval of the release for this environment (absent when the environment needs none). */
export interface LedgerApproval {
  approvalId?: string;
  /** Approver keys (GitLab usernames) whose votes made the quorum. */
  approvers: string[];
  /** How each approver was proven, in the same order (`gitlab` sign-in or a `slack` button). */
  approvedVia?: string[];
  /** ISO 8601. */
  decidedAt: string;
  /** True when an approver marked the release as a hotfix. */
  hotfix?: boolean;
}

/** Why an entry counts as unplanned work (rework). */
export type UnplannedReason = 'hotfix-approval' | 'mr-label' | 'after-failure';

/** Fields common to both kinds of entry. */
interface LedgerEntryBase {
  /** Deterministic id (see {@link ./keys}); the same step retried writes the same id. */
  id: string;
  service: string;
  environment: string;
  /** GitLab project. */
  projectId: number;
  projectPath: string;
  outcome: LedgerOutcome;
  /** When the outcome happened (ISO 8601); entries are ordered and windowed by it. */
  at: string;
  /** When the entry was written (ISO 8601). */
  recordedAt: string;
  /**
   * Set on entries written from what ECS reported after the release's execution had ended (issue 27):
   * {@link FINISHED_AFTER_RELEASE}.
   */
  note?: string;
}

/** The note of an entry recorded from ECS after the release's execution ended. */
export const FINISHED_AFTER_RELEASE = 'finished after the release ended';

/** A release's transition in one environment for one service. */
export interface ReleaseLedgerEntry extends LedgerEntryBase {
  kind: 'release';
  releaseId: string;
  /** Image digest (`sha256:…`), once "Resolve release" pinned it. */
  digest?: string;
  commitSha: string;
  /**
   * True when the rollout reached the environment (a deployment in DORA's sense): outcome `deployed`, or a
   * failure in "Deploy <env>" / "Verify <env>". False for rejected and superseded releases.
   */
  deployment: boolean;
  /** SHA that ran in this environment before (the compare base), when known. */
  previousSha?: string;
  /** Commits new to this environment (only for `deployed` and failed deployments). */
  commits: LedgerCommit[];
  commitsSource: CommitsSource;
  /** When the GitLab pipeline finished (ISO 8601; the release's `createdAt`). */
  pipelineFinishedAt: string;
  approval?: LedgerApproval;
  /** Rollout start and end (ISO 8601) when a rollout ran here. */
  rolloutStartedAt?: string;
  rolloutFinishedAt?: string;
  /** When the failure was detected (failed deployments only): the failed rollout or verify. */
  failedAt?: string;
  /** Step Functions error name and readable cause (failures, rejections, supersedes). */
  error?: { error: string; cause?: string };
  /** For a rolled-back outcome: what the rollback put back. */
  restored?: RestoredRelease;
  unplanned: boolean;
  unplannedReasons: UnplannedReason[];
}

/** What a rollback put back. */
export interface RestoredRelease {
  releaseId?: string;
  digest?: string;
  taskDefinitionArn?: string;
}

/** One rollback of one service in one environment. */
export interface RollbackLedgerEntry extends LedgerEntryBase {
  kind: 'rollback';
  /** `rolled-back-by-ecs` | `rolled-back-by-shipgate` | `rolled-back-by-hand`. */
  outcome: LedgerOutcome;
  /** Manual rollback id (`ROLLBACK#<id>`), or the release id for a rollback inside a release. */
  rollbackId: string;
  /** The release that was rolled back and its digest (the digest goes into quarantine). */
  rolledBackReleaseId?: string;
  rolledBackDigest?: string;
  restored: RestoredRelease;
  /** When the failure was detected / the rollback was asked for (ISO 8601). */
  detectedAt: string;
  /** When the service was good again (= `at`). */
  restoredAt: string;
  /** Who asked (manual rollbacks). */
  by?: string;
  reason?: string;
}

/** A ledger entry. */
export type LedgerEntry = ReleaseLedgerEntry | RollbackLedgerEntry;

/** A release recorded before the ledger existed (listed, never migrated). */
export interface BeforeLedgerRelease {
  releaseId: string;
  createdAt: string;
  status: string;
  services: string[];
}
