import type { PauseStage } from '../../shared/config';
import type { ApproverSnapshot } from '../approvals/types';
import type { SelfApprovalRules } from '../decisions/self-approval';

/**
 * Types of a pause decision: people deciding, from chat, whether an ECS service deployment paused at a PAUSE
 * lifecycle hook continues or rolls back. The stored item (`PauseRecord`) keeps no task token: the waiting
 * "<env> paused: wait for decision" task's token lives on the rollout record, like every rollout waiter's.
 */

/** What people can decide at a pause (the confirm page's `decision` values). */
export type PauseDecision = 'continue' | 'rollback';

/**
 * OPEN until decided (CONTINUED / ROLLED_BACK), timed out in ECS (TIMED_OUT), passed by something else
 * (PASSED: ECS moved on without a Shipgate decision, e.g. the AWS CLI or a CONTINUE timeout seen late), or
 * ended with its rollout or execution (ENDED).
 */
export type PauseStatus = 'OPEN' | 'CONTINUED' | 'ROLLED_BACK' | 'TIMED_OUT' | 'PASSED' | 'ENDED';

/** One recorded decision. */
export interface PauseVote {
  decision: PauseDecision;
  at: string;
  reason?: string;
  /** How the person was proven: signed in with GitLab, or a signed Slack button press. */
  via: 'gitlab' | 'slack';
  identity: string;
}

/** The pause's policy, frozen when the pause opened. */
export interface PausePolicySnapshot {
  approvers: ApproverSnapshot[];
  quorum: number;
  timeoutSeconds: number;
  onTimeout: 'ROLLBACK' | 'CONTINUE';
  allowSelfApproval: boolean;
  /** Who counts as the release's own people (absent on older pauses: both). */
  selfApproval?: SelfApprovalRules;
}

/** What people see about the paused step (gathered once, when the pause opened). */
export interface PauseFacts {
  /** The step in words: "10 % of production traffic on sha256:…, baked 5 min". */
  step: string;
  /** Smoke checks so far ("billing-app: test listener GET …/readyz → 200"). */
  smoke: string[];
  /** The contract's CloudWatch alarms and their state, or why they could not be read. */
  alarms: { name: string; state: string }[];
  alarmNote?: string;
  /** Traffic on the new revision, percent, as ECS reports it. */
  weights: { test?: number; production?: number };
}

/** How a pause ended. */
export interface PauseOutcome {
  status: Exclude<PauseStatus, 'OPEN'>;
  at: string;
  /** Approver keys that decided (CONTINUED: the quorum; ROLLED_BACK: who rolled back). */
  by: string[];
  reason?: string;
}

/** A pause as people and other modules see it. */
export interface PauseView {
  id: string;
  status: PauseStatus;
  executionArn: string;
  executionUrl: string;
  environment: string;
  service: string;
  release: {
    id: string;
    projectPath: string;
    commitSha: string;
    commitTitle: string;
    triggeredBy: { username?: string; name?: string; email?: string };
    /** E-mail addresses of the authors of the release's commits (self-approval). */
    commitAuthors?: string[];
  };
  digest: string;
  stage: PauseStage | string;
  hookId: string;
  serviceDeploymentArn: string;
  clusterName: string;
  serviceName: string;
  policy: PausePolicySnapshot;
  facts: PauseFacts;
  votes: Record<string, PauseVote>;
  createdAt: string;
  /** Epoch seconds: when ECS takes the timeout action (the hook's `expiresAt`). */
  expiresAt: number;
  outcome?: PauseOutcome;
}

/** The DynamoDB item `PAUSE#<id>` / `PAUSE`. */
export interface PauseRecord extends PauseView {
  pk: string;
  sk: 'PAUSE';
  continueCount: number;
  notifiedAt?: string;
  ttl: number;
}

/** What the "<env> paused" task resumes with when people decided (the other outcomes are rollout results). */
export interface PauseDecidedOutput {
  status: 'DECIDED';
  pauseId: string;
  stage: string;
  decision: PauseDecision;
  by: string[];
  reason?: string;
  at: string;
}
