import type { ApprovalDeps } from '../approvals/deps';
import type { ApproverSnapshot } from '../approvals/types';
import type { Viewer } from './page';
import type { GateRef } from './session';

/**
 * One decision flow for approvals and pauses: a gate is something a quorum of approvers decides from its
 * review page. Each kind (`approvalGate`, `pauseGate`) says how to load it, render it, and record a decision;
 * sign-in, the page's viewer block, the form checks, who votes and the answer are shared
 * (`lambdas/http/routes/decisions.ts`).
 */

/** Who decided, and how that was proven. */
export interface Decider {
  /** GitLab username (the approver key). */
  username: string;
  /** `gitlab`: signed in with GitLab on the review page; `slack`: a signed Slack button press. */
  source: 'gitlab' | 'slack';
  /** The proving identity: `gitlab:alice`, `slack:U01ALICE01`. */
  identity: string;
}

/** What every gate view has. */
export interface GateViewBase {
  id: string;
  status: string;
  environment: string;
  executionArn: string;
  expiresAt: number;
  policy: { approvers: ApproverSnapshot[] };
  votes: Record<string, { decision: string; at: string }>;
}

/** A decision as the review page posts it. */
export interface GateDecision {
  decision: string;
  reason?: string;
  hotfix?: boolean;
}

/** What recording a decision did. */
export interface GateResult<V> {
  view: V;
  /** This decision closed the gate. */
  decided: boolean;
  /** Quorum decisions still needed while open. */
  remaining: number;
  /** The decision closed the gate but the waiting workflow could not be told (approvals). */
  deliveryFailed?: boolean;
}

/** One kind of gate. */
export interface DecisionGate<V extends GateViewBase, D extends ApprovalDeps = ApprovalDeps> {
  kind: GateRef['kind'];
  /** "approval" / "pause", for sentences. */
  noun: string;
  /** The form's decisions: the quorum one first. */
  decisions: readonly [string, string];
  deps(): D;
  load(deps: D, id: string): Promise<V>;
  /** Why the workflow no longer waits (page shows no form), or `undefined`. */
  noLongerWaiting(deps: D, view: V): Promise<string | undefined>;
  /** Why this approver may not take the quorum decision (their own release), or `undefined`. */
  selfBlocked(view: V, approver: ApproverSnapshot): string | undefined;
  render(
    view: V,
    options: { viewer: Viewer; notice?: Notice; nowSeconds: number; noLongerWaiting?: string },
  ): string;
  decide(deps: D, view: V, decider: Decider, input: GateDecision): Promise<GateResult<V>>;
  /** Whether a closed gate ended the way `decision` asked (a loser of a race that agrees gets a 200). */
  agrees(view: V, decision: string): boolean;
  /** How it ended, in words ("continued by Alice (@alice, GitLab) at …"). */
  outcomeWords(view: V): string;
  /** Longest reason kept. */
  maxReason: number;
}

/** A banner on the page. */
export interface Notice {
  kind: 'ok' | 'warn' | 'bad';
  text: string;
}

/** "<name> (<decision> at <time>)" for a viewer who already decided. */
export function earlierDecision(view: GateViewBase, username: string): string | undefined {
  const v = view.votes[username];
  return v ? `“${v.decision}” at ${v.at}` : undefined;
}
