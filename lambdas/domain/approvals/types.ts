import type { SelfApprovalRules } from '../decisions/self-approval';
import type { Release, ResolvedImage } from '../../shared/release';

/**
 * Types of an approval request. The stored item (`ApprovalRecord`) is the only place a Step Functions task
 * token lives; everything shown to people or returned from functions is an `ApprovalView`, which has none.
 */

/**
 * Life cycle of an approval: open until a quorum approves, someone rejects, it times out, is superseded, or
 * its execution ended without it (ENDED: stopped, failed elsewhere).
 */
export type ApprovalStatus = 'OPEN' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'SUPERSEDED' | 'ENDED';

/** A decision an approver can make. */
export type Decision = 'approve' | 'reject';

/**
 * How the voter was proven: `gitlab` (signed in with GitLab on the review page) or `slack` (a Slack app
 * button, whose request Slack signed with the user's id).
 */
export type VoteChannel = 'gitlab' | 'slack';

/** One approver as the policy saw them when the request was created (a snapshot of the config). */
export interface ApproverSnapshot {
  /** GitLab username: the key under `approvers` in the config. */
  key: string;
  /** Display name ("Alice"). */
  name: string;
  slack?: string;
  /** Commit author e-mail address(es) (self-approval by commit authorship). */
  email?: string | string[];
}

/** The environment's approval policy, frozen at request time so config edits never change an open request. */
export interface ApprovalPolicySnapshot {
  approvers: ApproverSnapshot[];
  quorum: number;
  timeoutSeconds: number;
  allowSelfApproval: boolean;
  /** Who counts as the release's own people (absent on older requests: both). */
  selfApproval?: SelfApprovalRules;
}

/** One recorded vote. */
export interface Vote {
  decision: Decision;
  /** ISO 8601. */
  at: string;
  reason?: string;
  /** Set when the approver marked the release as a hotfix (approvals only). */
  hotfix?: boolean;
  via: VoteChannel;
  /** The identity that authenticated the vote (`gitlab:alice`, `slack:U01ALICE01`). */
  identity: string;
}

/** Summary of the scan the approver looks at (a subset of the Scan step's `ScanSummary`). */
export interface ScanOverview {
  passed?: boolean;
  text?: string;
  counts?: Record<string, number>;
}

/** What is being approved, copied from the release so pages and messages never need the execution. */
export interface ApprovalSubject {
  releaseId: string;
  projectId: number;
  projectPath: string;
  projectUrl?: string;
  commitSha: string;
  commitTitle: string;
  commitUrl?: string;
  ref: string;
  pipelineId: number;
  pipelineUrl?: string;
  triggeredBy: Release['triggeredBy'];
  /** E-mail addresses of the authors of the release's commits (self-approval). */
  commitAuthors?: string[];
  /** The release's `createdAt` (ISO 8601, normalised): orders releases of a project for superseding. */
  releaseCreatedAt: string;
  services: string[];
  images: Pick<ResolvedImage, 'service' | 'digest' | 'imageUri'>[];
  scan: ScanOverview;
}

/** How a closed approval ended. */
export interface ApprovalOutcome {
  status: Exclude<ApprovalStatus, 'OPEN'>;
  /** ISO 8601. */
  at: string;
  /** Approver keys whose approvals made the quorum (APPROVED), or the rejecting approver (REJECTED). */
  by: string[];
  /** Human-readable reason: the rejection reason, "timed out at …", "superseded by release …". */
  reason?: string;
  /** Release that superseded this one (SUPERSEDED). */
  supersededBy?: string;
}

/** An approval request as people and other modules may see it: everything except the task token. */
export interface ApprovalView {
  id: string;
  status: ApprovalStatus;
  executionArn: string;
  executionUrl: string;
  environment: string;
  subject: ApprovalSubject;
  policy: ApprovalPolicySnapshot;
  /** Votes keyed by approver key. */
  votes: Record<string, Vote>;
  /** ISO 8601 creation time of the request. */
  createdAt: string;
  /** Epoch seconds after which no vote counts (creation + policy timeout). */
  expiresAt: number;
  outcome?: ApprovalOutcome;
}

/** The DynamoDB item: the view plus keys and the task token (never leaves the store module). */
export interface ApprovalRecord extends ApprovalView {
  pk: string;
  sk: 'APPROVAL';
  /** `PENDING#<projectId>` while OPEN; removed when closed so the index only lists pending approvals. */
  gsi1pk?: string;
  gsi1sk: string;
  taskToken: string;
  /** Number of approve votes (kept beside `votes` so the quorum check is one conditional update). */
  approveCount: number;
  /** When the request message reached chat (so a retried invoke does not post twice). */
  notifiedAt?: string;
  /** When the task result reached Step Functions, or why it could not. */
  taskResult?: { at: string; sent: boolean; note?: string };
  ttl: number;
}

/** Result of a vote. */
export interface VoteResult {
  approval: ApprovalView;
  /** True when this vote closed the request (quorum reached or rejected). */
  decided: boolean;
  /** Approve votes still needed when the request is still open. */
  remaining: number;
  /**
   * When this vote closed the request: whether Step Functions took the result. `failed` means the item is
   * decided but the execution still waits (it will fail at its timeout); the error is logged.
   */
  delivery?: 'sent' | 'failed';
}
