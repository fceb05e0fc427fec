import { deliverReleaseMessage, slackBot } from '../chat/deliver';
import { slackAppEnabled } from '../approvals/notify';
import { gatePath } from '../decisions/session';
import { publicUrl } from '../../shared/links';
import { reportStatus } from '../gitlab/feedback';
import { getRelease, updateRelease, type ReleasePauseEvent } from '../releases/store';
import { logger } from '../../shared/logger';
import type { ApprovalDeps } from '../approvals/deps';
import { pauseOutcomeMessage, pauseOutcomeSentence, pauseRequestMessage, stageWords } from './messages';
import type { PauseView } from './types';

/**
 * Telling people about a pause: chat (in the release's thread with a Slack bot), the release record
 * (`pauses[]` and the environment's detail) and the GitLab commit status `shipgate/<env>`. Best effort each:
 * a pause is decided whether or not chat or GitLab answered.
 */

/** The pause's one review link (anyone may open it; deciding needs signing in with GitLab). */
export function pauseReviewUrl(deps: Pick<ApprovalDeps, 'env'>, view: Pick<PauseView, 'id'>): string {
  return `${publicUrl(deps.env)}${gatePath({ kind: 'pause', id: view.id })}`;
}

/** The request message as the pause stands now. */
export async function pauseMessage(deps: ApprovalDeps, view: PauseView) {
  return pauseRequestMessage(view, {
    ...(view.status === 'OPEN' ? { reviewUrl: pauseReviewUrl(deps, view) } : {}),
    slackApp: await slackAppEnabled(deps),
  });
}

/** Posts the pause request in the release's thread (remembered, so its outcome can replace it). */
export async function notifyPauseRequest(deps: ApprovalDeps, view: PauseView) {
  return deliverReleaseMessage(
    view.release.id,
    await pauseMessage(deps, view),
    { remember: `pause#${view.id}` },
    { ...deps, timeoutMs: deps.chatTimeoutMs },
  );
}

/** Posts the outcome and, with a Slack bot, turns the request message into its closed form. */
export async function notifyPauseOutcome(deps: ApprovalDeps, view: PauseView): Promise<void> {
  const chat = { ...deps, timeoutMs: deps.chatTimeoutMs };
  await deliverReleaseMessage(view.release.id, pauseOutcomeMessage(view), {}, chat);
  if (await slackBot(deps)) {
    await deliverReleaseMessage(
      view.release.id,
      pauseRequestMessage(view, { slackApp: false }),
      { replace: `pause#${view.id}` },
      chat,
    );
  }
}

/** Records the pause's current state on the release (`pauses[]`, environment detail) and in GitLab. */
export async function recordPauseProgress(deps: ApprovalDeps, view: PauseView): Promise<void> {
  const at = deps.now().toISOString();
  const open = view.status === 'OPEN';
  const waiting = `${view.service} paused ${stageWords(view.stage)}: ${view.facts.step}; waiting for ${view.policy.quorum} "continue" of ${view.policy.approvers
    .map((a) => a.name)
    .join(', ')} until ${new Date(view.expiresAt * 1000).toISOString()}`;
  const detail = open ? waiting : `${view.service} ${stageWords(view.stage)}: ${pauseOutcomeSentence(view)}`;
  const event: ReleasePauseEvent = {
    at,
    environment: view.environment,
    service: view.service,
    pauseId: view.id,
    stage: view.stage,
    event: open ? 'PAUSED' : (view.status as ReleasePauseEvent['event']),
    ...(view.outcome?.by.length ? { by: view.outcome.by } : {}),
    detail,
  };
  const store = { ddb: deps.ddb, table: deps.table, now: deps.now };
  try {
    await updateRelease(
      view.release.id,
      {
        ...(open ? { currentStep: `Paused in ${view.environment}: wait for decision` } : {}),
        environments: {
          [view.environment]: {
            status: view.status === 'ROLLED_BACK' ? 'ROLLING_BACK' : 'DEPLOYING',
            digests: { [view.service]: view.digest },
            at,
            detail,
          },
        },
        appendPauses: [event],
        ifStatus: ['RUNNING'],
      },
      store,
    );
  } catch (err) {
    logger.warn(`Release ${view.release.id} not updated with pause ${view.id}`, {
      error: (err as Error)?.name,
    });
  }
  // GitLab's API sets deployments to running/success/failed/canceled only ("blocked" is GitLab's own state for
  // deployments waiting on its protected-environment approvals), so the commit status carries the pause.
  const release = await getRelease(view.release.id, store).catch(() => undefined);
  if (release) {
    await reportStatus(release.release, view.environment, 'running', {
      executionArn: view.executionArn,
      description: (open ? `Paused ${stageWords(view.stage)}: waiting for a decision in chat` : detail).slice(
        0,
        255,
      ),
    }).catch(() => false);
  }
}
