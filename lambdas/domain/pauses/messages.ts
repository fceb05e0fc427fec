import { provenBy } from '../decisions/identity';
import type { Block, ChatMessage } from '../chat/messages';
import { escapeChat, shortSha, truncate } from '../chat/format';
import type { PauseView } from './types';

/**
 * Chat messages of a pause: the request (step in words, smoke checks, alarms, traffic weights, personal
 * "Continue / Roll back" links and, with a Slack app, buttons) and the outcome. Pure: links come in signed.
 */

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: truncate(text, 2000) });
const plain = (text: string) => ({ type: 'plain_text', text: truncate(text, 150), emoji: true });

/** Readable stage names ("after test traffic"). */
export const STAGE_WORDS: Record<string, string> = {
  RECONCILE_SERVICE: 'before reconciling the service',
  PRE_SCALE_UP: 'before scaling up the new revision',
  POST_SCALE_UP: 'after scaling up the new revision',
  POST_TEST_TRAFFIC_SHIFT: 'after test traffic',
  PRE_PRODUCTION_TRAFFIC_SHIFT: 'before a production traffic step',
  POST_PRODUCTION_TRAFFIC_SHIFT: 'after all production traffic moved',
};

/** "after test traffic (POST_TEST_TRAFFIC_SHIFT)" */
export const stageWords = (stage: string) => `${STAGE_WORDS[stage] ?? stage} (${stage})`;

const nameOf = (view: PauseView, key: string) =>
  view.policy.approvers.find((a) => a.key === key)?.name ?? key;

/** "billing-app → production paused after test traffic" */
export function pauseHeadline(view: PauseView): string {
  return `${view.service} → ${view.environment} paused ${STAGE_WORDS[view.stage] ?? `at ${view.stage}`}`;
}

/** What became of a closed pause, in one sentence. */
export function pauseOutcomeSentence(view: PauseView): string {
  const o = view.outcome;
  if (!o) return 'waiting for a decision';
  const names = o.by.map((k) => nameOf(view, k)).join(', ') + provenBy(view.votes, o.by);
  switch (o.status) {
    case 'CONTINUED':
      return `Continued by ${names} at ${o.at}`;
    case 'ROLLED_BACK':
      return `Rolled back by ${names}${o.reason ? `: ${o.reason}` : ' (no reason given)'}`;
    case 'TIMED_OUT':
      return o.reason ?? `Nobody decided in time; ECS took the timeout action ${view.policy.onTimeout}`;
    case 'PASSED':
    case 'ENDED':
      return o.reason ?? 'The rollout no longer waits at this pause';
  }
}

function votesLine(view: PauseView): string {
  const cont = Object.entries(view.votes)
    .filter(([, v]) => v.decision === 'continue')
    .map(([k]) => nameOf(view, k));
  return `${cont.length} of ${view.policy.quorum} "continue"${cont.length ? ` (${cont.join(', ')})` : ''}`;
}

function factLines(view: PauseView): string[] {
  const f = view.facts;
  const w = f.weights;
  return [
    `Step: ${f.step}`,
    `Traffic on the new revision: test ${w.test ?? 0} %, production ${w.production ?? 0} %`,
    `Smoke checks: ${f.smoke.join('; ')}`,
    `Alarms: ${f.alarms.length ? f.alarms.map((a) => `${a.name} ${a.state}`).join(', ') : 'none'}${f.alarmNote ? ` (${f.alarmNote})` : ''}`,
  ];
}

/**
 * The pause request. Open: facts, deadline and timeout action, one "Review and decide" URL button (the
 * pause's review page, the same for everyone), Slack buttons (`pause_continue` / `pause_rollback`,
 * `value` = pause id) with a Slack app. Closed: the same facts with the outcome and no buttons.
 */
export function pauseRequestMessage(
  view: PauseView,
  options: { reviewUrl?: string; slackApp: boolean },
): ChatMessage {
  const open = view.status === 'OPEN';
  const deadline = new Date(view.expiresAt * 1000).toISOString();
  const title = open
    ? `Decision needed: ${pauseHeadline(view)}`
    : `${pauseOutcomeSentence(view)} — ${pauseHeadline(view)}`;
  const head = `${view.release.projectPath} \`${shortSha(view.release.commitSha)}\` "${truncate(view.release.commitTitle, 200)}" · ${view.service} @ ${view.digest}`;
  const policy = `Needs ${view.policy.quorum} "continue" of ${view.policy.approvers.map((a) => a.name).join(', ')}; anyone may roll back. Until ${deadline}, then ECS takes the timeout action ${view.policy.onTimeout}.`;
  const blocks: Block[] = [
    { type: 'header', text: plain(title) },
    { type: 'section', text: mrkdwn(escapeChat(head)) },
    { type: 'section', text: mrkdwn(escapeChat(factLines(view).join('\n'))) },
    {
      type: 'context',
      elements: [
        mrkdwn(
          escapeChat(open ? `${votesLine(view)} · ${policy}` : pauseOutcomeSentence(view)) +
            `  ·  <${view.executionUrl}|execution>  ·  pause ${view.id}`,
        ),
      ],
    },
  ];
  if (open) {
    const buttons = options.reviewUrl
      ? [
          {
            type: 'button',
            text: plain('Review and decide'),
            url: options.reviewUrl,
            action_id: 'pause_review',
          },
        ]
      : [];
    for (let i = 0; i < buttons.length; i += 25) {
      blocks.push({
        type: 'actions',
        block_id: `pause_review:${view.id}:${i / 25}`,
        elements: buttons.slice(i, i + 25),
      });
    }
    if (options.slackApp) {
      blocks.push({
        type: 'actions',
        block_id: `pause_decide:${view.id}`,
        elements: [
          {
            type: 'button',
            text: plain('Continue'),
            style: 'primary',
            action_id: 'pause_continue',
            value: view.id,
          },
          {
            type: 'button',
            text: plain('Roll back'),
            style: 'danger',
            action_id: 'pause_rollback',
            value: view.id,
            confirm: {
              title: plain('Roll this rollout back?'),
              text: plain(
                `ECS rolls ${view.service} in ${view.environment} back. Use the link to give a reason.`,
              ),
              confirm: plain('Roll back'),
              deny: plain('Cancel'),
            },
          },
        ],
      });
    }
  }
  const text = open
    ? [
        `Decision needed: ${escapeChat(pauseHeadline(view))}`,
        escapeChat(head),
        ...factLines(view).map(escapeChat),
        escapeChat(policy),
        `Execution: ${view.executionUrl}`,
        ...(options.reviewUrl ? [`Review and decide (sign in with GitLab): ${options.reviewUrl}`] : []),
      ]
    : [escapeChat(title), `Execution: ${view.executionUrl}`];
  return { text: text.join('\n'), blocks };
}

/** The follow-up when a pause is decided, times out, or is passed. */
export function pauseOutcomeMessage(view: PauseView): ChatMessage {
  const emoji =
    view.status === 'CONTINUED'
      ? ':arrow_forward:'
      : view.status === 'ROLLED_BACK'
        ? ':rewind:'
        : ':hourglass:';
  const sentence = pauseOutcomeSentence(view);
  return {
    text: `${escapeChat(sentence)} — ${escapeChat(pauseHeadline(view))}\nExecution: ${view.executionUrl}`,
    blocks: [
      {
        type: 'section',
        text: mrkdwn(`${emoji} *${escapeChat(sentence)}* — ${escapeChat(pauseHeadline(view))}`),
      },
      { type: 'context', elements: [mrkdwn(`<${view.executionUrl}|execution>  ·  pause ${view.id}`)] },
    ],
  };
}
