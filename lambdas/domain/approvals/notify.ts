import { ConfigError } from '../../shared/errors';
import { approvalOutcomeMessage, approvalRequestMessage, type ChatMessage } from '../chat/messages';
import { deliverReleaseMessage, slackBot, type DeliverResult } from '../chat/deliver';
import type { ApprovalDeps } from './deps';
import { approvalLink } from './links';
import type { ApprovalView } from './types';

/**
 * Chat notifications for approvals. Links are signed here, just before sending, and never stored or logged.
 */

/** The link-signing key. @throws ConfigError naming the setting when it is not configured. */
export async function linkSigningKey(deps: Pick<ApprovalDeps, 'getSecret'>): Promise<string> {
  const key = await deps.getSecret('linkSigningKey');
  if (!key) {
    throw new ConfigError(
      'The approval link-signing key is not configured: set SHIPGATE_LINK_SIGNING_KEY (sandbox) or SHIPGATE_LINK_SIGNING_KEY_SECRET_ARN (AWS) to a long random value.',
    );
  }
  return key;
}

/** Each approver's personal confirm-page link, valid until the approval's deadline. */
export async function personalLinks(
  deps: Pick<ApprovalDeps, 'getSecret' | 'env'>,
  view: ApprovalView,
): Promise<Record<string, string>> {
  const key = await linkSigningKey(deps);
  return Object.fromEntries(
    view.policy.approvers
      .filter((a) => !view.votes[a.key])
      .map((a) => [
        a.key,
        approvalLink(key, { approvalId: view.id, approver: a.key, expiresAt: view.expiresAt }, deps.env),
      ]),
  );
}

/** Whether a Slack app (signing secret) is configured, which adds interactive buttons. */
export async function slackAppEnabled(deps: Pick<ApprovalDeps, 'getSecret'>): Promise<boolean> {
  return Boolean(await deps.getSecret('slackSigningSecret'));
}

/** The request message for `view` as it stands (votes so far, or its outcome once closed). */
export async function requestMessage(deps: ApprovalDeps, view: ApprovalView): Promise<ChatMessage> {
  const links = view.status === 'OPEN' ? await personalLinks(deps, view) : {};
  return approvalRequestMessage(view, { links, slackApp: await slackAppEnabled(deps) });
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
      approvalRequestMessage(view, { links: {}, slackApp: false }),
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
    approvalRequestMessage(view, { links: {}, slackApp: false }),
    { replace: `approval#${view.id}` },
    { ...deps, timeoutMs: deps.chatTimeoutMs },
  );
}
