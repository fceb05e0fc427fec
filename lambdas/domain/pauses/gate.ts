import { noLongerWaiting } from '../approvals/liveness';
import type { DecisionGate } from '../decisions/gate';
import { decidePause, getPauseView, MAX_PAUSE_REASON, ownReleaseReason } from './decide';
import { pauseDeps, type PauseDeps } from './deps';
import { pauseOutcomeSentence } from './messages';
import { renderPausePage } from './page';
import type { PauseView } from './types';

/** Pauses as a gate of the one decision flow (`lambdas/http/routes/decisions.ts`). */
export const pauseGate: DecisionGate<PauseView, PauseDeps> = {
  kind: 'pause',
  noun: 'pause',
  decisions: ['continue', 'rollback'],
  maxReason: MAX_PAUSE_REASON,
  deps: () => pauseDeps(),
  load: getPauseView,
  noLongerWaiting: async (deps, view) =>
    (await noLongerWaiting(deps, view))?.replace('for approval', 'at this pause'),
  selfBlocked: (view, approver) =>
    view.policy.allowSelfApproval ? undefined : ownReleaseReason(view, approver),
  render: renderPausePage,
  async decide(deps, view, decider, input) {
    const result = await decidePause(
      {
        pauseId: view.id,
        approver: decider.username,
        decision: input.decision as 'continue' | 'rollback',
        reason: input.reason,
        via: decider.source,
        identity: decider.identity,
      },
      deps,
    );
    return { view: result.pause, decided: result.decided, remaining: result.remaining };
  },
  agrees: (view, decision) =>
    (decision === 'continue' && view.status === 'CONTINUED') ||
    (decision === 'rollback' && view.status === 'ROLLED_BACK'),
  outcomeWords: (view) => pauseOutcomeSentence(view),
};
