import { ShipgateError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { NotAnApproverError } from '../approvals/errors';
import { ephemeralNotice, type ChatMessage } from '../chat/messages';
import type { SlackInteraction } from '../chat/slack';
import { decidePause, getPauseView } from './decide';
import type { PauseDeps } from './deps';
import { pauseMessage } from './notify';

/**
 * Slack app mode for pauses: "Continue" / "Roll back" buttons (`pause_continue` / `pause_rollback`, value =
 * pause id) decide as the configured approver whose `slack` id matches the clicking user, with the same rules
 * as the confirm page. Returns the reply for `response_url` (the updated message, or a private notice).
 */
export async function pauseSlackReply(
  interaction: SlackInteraction,
  action: { action_id: string; value?: string },
  deps: PauseDeps,
): Promise<{ outcome: 'voted' | 'refused'; reply: ChatMessage }> {
  const pauseId = action.value ?? '';
  const decision = action.action_id === 'pause_rollback' ? 'rollback' : 'continue';
  try {
    const view = await getPauseView(deps, pauseId);
    const approver = view.policy.approvers.find((a) => a.slack && a.slack === interaction.user.id);
    if (!approver) {
      throw new NotAnApproverError(
        `Your Slack user (${interaction.user.id}) may not decide this pause of ${view.service} in ${view.environment}. Approvers: ${view.policy.approvers
          .map((a) => a.name)
          .join(', ')}.`,
      );
    }
    const result = await decidePause(
      { pauseId, approver: approver.key, decision, via: 'slack', identity: `slack:${interaction.user.id}` },
      deps,
    );
    return {
      outcome: 'voted',
      reply: { ...(await pauseMessage(deps, result.pause)), replace_original: true },
    };
  } catch (err) {
    if (!(err instanceof ShipgateError) || err.status >= 500) throw err;
    logger.info('Slack pause decision refused', { pauseId, slackUser: interaction.user.id, error: err.name });
    return { outcome: 'refused', reply: ephemeralNotice(err.message) };
  }
}
