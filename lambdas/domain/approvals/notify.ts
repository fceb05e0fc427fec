import { ConfigError } from '../../shared/errors';
import { approvalOutcomeMessage, approvalRequestMessage, type ChatMessage } from '../chat/messages';
import { deliverReleaseMessage, slackBot, type DeliverResult } from '../chat/deliver';
import type { ApprovalDeps } from './deps';
import { gatePath } from '../decisions/session';
import { publicUrl } from '../../shared/links';
import type { ApprovalView } from './types';

/**
 * Chat notifications for approvals. The message carries the request's one review link; it grants nothing
 * by itself (deciding needs signing in with GitLab as an approver).
 */

/** The key sessions and CSRF tokens of review pages are signed with. @throws ConfigError naming the setting when it is not configured. */
export async function linkSigningKey(deps: Pick<ApprovalDeps, 'getSecret'>): Promise<string> {
  const key = await deps.getSecret('linkSigningKey');
  if (!key) {
    throw new ConfigError(
      'The approval link-signing key is not configured: set SHIPGATE_LINK_SIGNING_KEY (sandbox) or SHIPGATE_LINK_SIGNING_KEY_SECRET_ARN (AWS) to a long random value.',
    );
  }
  return key;
}

/** The approval's one review link (anyone may open it; voting needs signing in with GitLab). */
export function approvalReviewUrl(deps: Pick<ApprovalDeps, 'env'>, view: Pick<ApprovalView, 'id'>): string {
  return `${publicUrl(deps.env)}${gatePath({ kind: 'approval', id: view.id })}`;
}

/** Whether a Slack app (signing secret) is configured, which adds interactive buttons. */
export async function slackAppEnabled(deps: Pick<ApprovalDeps, 'getSecret'>): Promise<boolean> {
  return Boolean(await deps.getSecret('slackSigningSecret'));
}

/** The request message for `view` as it stands (votes so far, or its outcome once closed). */
export async function requestMessage(deps: ApprovalDeps, view: ApprovalView): Promise<ChatMessage> {
  return approvalRequestMessage(view, {
    ...(view.status === 'OPEN' ? { reviewUrl: approvalReviewUrl(deps, view) } : {}),
    slackApp: await slackAppEnabled(deps),
  });
}

/**
 * Posts the approval request. With a Slack app it is the release thread's root (first environment) or a
 * reply in it, and its place is remembered so the outcome can update it.
 */
export async function notifyRequest(deps: ApprovalDeps, view: ApprovalView): Promise<DeliverResult> {
  return deliverReleaseMessage(
    view.subject.releaseId,
    await requestMessage(deps, view),
    { remember: `approval#${view.id}` },
    { ...deps, timeoutMs: deps.chatTimeoutMs },
  );
}

/**
 * Posts the follow-up for a closed approval; with a Slack app in the release's thread, and the request
 * message itself is updated to show the outcome (no buttons).
 */
export async function notifyOutcome(deps: ApprovalDeps, view: ApprovalView): Promise<DeliverResult> {
  const chat = { ...deps, timeoutMs: deps.chatTimeoutMs };
  const result = await deliverReleaseMessage(view.subject.releaseId, approvalOutcomeMessage(view), {}, chat);
  if (await slackBot(deps)) {
    await deliverReleaseMessage(
      view.subject.releaseId,
      // A closed request renders without buttons or links, so no link key or Slack secret is read here.
      approvalRequestMessage(view, { slackApp: false }),
      { replace: `approval#${view.id}` },
      chat,
    );
  }
  return result;
}

/**
 * An approval closed because its execution ended without it: no follow-up message (the release's own
 * outcome says how it ended, and this is no timeout); with a Slack app the request message is updated.
 */
export async function notifyEnded(deps: ApprovalDeps, view: ApprovalView): Promise<void> {
  if (!(await slackBot(deps))) return;
  await deliverReleaseMessage(
    view.subject.releaseId,
    approvalRequestMessage(view, { slackApp: false }),
    { replace: `approval#${view.id}` },
    { ...deps, timeoutMs: deps.chatTimeoutMs },
  );
}
