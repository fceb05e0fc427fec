import { ShipgateError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { ephemeralNotice, type ChatMessage } from '../chat/messages';
import { sendJson } from '../chat/post';
import type { SlackInteraction } from '../chat/slack';
import type { ApprovalDeps } from './deps';
import { NotAnApproverError } from './errors';
import { requestMessage } from './notify';
import { castVote, getApprovalView } from './vote';
import { pauseDeps } from '../pauses/deps';
import { pauseSlackReply } from '../pauses/slack';

/**
 * Slack app mode: a click on an approval message's Approve / Reject button becomes a vote of the configured
 * approver whose `slack` id matches the clicking user. The answer goes back through the interaction's
 * `response_url`: the message is replaced by its updated state, or the clicker gets a private notice.
 */

/** What happened to one interaction (for the HTTP edge and tests). */
export interface SlackInteractionResult {
  outcome: 'ignored' | 'voted' | 'refused';
  /** The message sent to `response_url`, if any. */
  reply?: ChatMessage;
  /** Whether the reply reached Slack within the time left. */
  replied?: 'sent' | 'failed' | 'late';
}

/**
 * Applies an interaction. `deadline` (epoch ms) bounds the `response_url` call so the HTTP ack stays under
 * Slack's 3 seconds; a reply still in flight at the deadline is abandoned (and logged).
 */
export async function handleSlackInteraction(
  interaction: SlackInteraction,
  deps: ApprovalDeps,
  deadline: number,
): Promise<SlackInteractionResult> {
  const pauseAction = interaction.actions.find(
    (a) => a.action_id === 'pause_continue' || a.action_id === 'pause_rollback',
  );
  const action = interaction.actions.find((a) => a.action_id === 'approve' || a.action_id === 'reject');
  // The URL button ("Review and decide") also reports clicks in app mode; the browser does the rest.
  if (interaction.type !== 'block_actions' || !(action?.value || pauseAction?.value)) {
    return { outcome: 'ignored' };
  }
  const decision = action?.action_id as 'approve' | 'reject';
  const approvalId = action?.value ?? '';

  let reply: ChatMessage;
  let outcome: SlackInteractionResult['outcome'];
  if (pauseAction?.value) {
    // A pause of a rollout (ECS PAUSE hook): same rules, decided by the pause domain.
    ({ outcome, reply } = await pauseSlackReply(interaction, pauseAction, pauseDeps(deps)));
  } else
    try {
      const view = await getApprovalView(deps, approvalId);
      const approver = view.policy.approvers.find((a) => a.slack && a.slack === interaction.user.id);
      if (!approver) {
        throw new NotAnApproverError(
          `Your Slack user (${interaction.user.id}) is not an approver of ${view.subject.projectPath} → ${view.environment}. Approvers: ${view.policy.approvers
            .map((a) => a.name)
            .join(', ')}.`,
        );
      }
      const result = await castVote(
        {
          approvalId,
          approver: approver.key,
          decision,
          via: 'slack',
          identity: `slack:${interaction.user.id}`,
        },
        deps,
      );
      reply = { ...(await requestMessage(deps, result.approval)), replace_original: true };
      outcome = 'voted';
    } catch (err) {
      if (!(err instanceof ShipgateError) || err.status >= 500) throw err;
      logger.info('Slack vote refused', { approvalId, slackUser: interaction.user.id, error: err.name });
      reply = ephemeralNotice(err.message);
      outcome = 'refused';
    }
  if (!interaction.response_url) return { outcome, reply };
  const remaining = deadline - Date.now();
  if (remaining <= 50) return { outcome, reply, replied: 'late' };
  const replied = await sendJson(
    interaction.response_url,
    reply,
    deps.fetch,
    remaining,
    'Slack response_url',
  );
  return { outcome, reply, replied };
}
