import { outcomeSentence } from '../chat/messages';
import type { DecisionGate } from '../decisions/gate';
import { approvalDeps, type ApprovalDeps } from './deps';
import { noLongerWaiting } from './liveness';
import { renderApprovalPage } from './page';
import type { ApprovalView } from './types';
import { castVote, getApprovalView, MAX_REASON_LENGTH, selfApprovalReason } from './vote';

/** Approvals as a gate of the one decision flow (`lambdas/http/routes/decisions.ts`). */
export const approvalGate: DecisionGate<ApprovalView, ApprovalDeps> = {
  kind: 'approval',
  noun: 'approval',
  decisions: ['approve', 'reject'],
  maxReason: MAX_REASON_LENGTH,
  deps: () => approvalDeps(),
  load: getApprovalView,
  noLongerWaiting,
  selfBlocked: (view, approver) =>
    view.policy.allowSelfApproval ? undefined : selfApprovalReason(view, approver),
  render: renderApprovalPage,
  async decide(deps, view, decider, input) {
    const result = await castVote(
      {
        approvalId: view.id,
        approver: decider.username,
        decision: input.decision as 'approve' | 'reject',
        reason: input.reason,
        ...(input.hotfix ? { hotfix: true } : {}),
        via: decider.source,
        identity: decider.identity,
      },
      deps,
    );
    return {
      view: result.approval,
      decided: result.decided,
      remaining: result.remaining,
      ...(result.delivery === 'failed' ? { deliveryFailed: true } : {}),
    };
  },
  agrees: (view, decision) =>
    (decision === 'approve' && view.status === 'APPROVED') ||
    (decision === 'reject' && view.status === 'REJECTED'),
  outcomeWords: (view) => outcomeSentence(view),
};
