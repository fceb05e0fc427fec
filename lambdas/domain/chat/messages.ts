import { deciders } from '../decisions/identity';
import type { ApprovalView } from '../approvals/types';
import { escapeChat, shortSha, slackLink, truncate } from './format';

/**
 * Chat messages about approvals: Slack-compatible incoming-webhook JSON with a `text` fallback that reads
 * well on its own (Mattermost, notifications) and Block Kit `blocks`. Pure functions: they never see a task
 * token or a secret; the review link is passed in by the caller.
 */

/** A Block Kit block (JSON as Slack documents it). */
export type Block = Record<string, unknown>;

/** An incoming-webhook / `response_url` message. */
export interface ChatMessage {
  text: string;
  blocks: Block[];
  /** Only for `response_url` replies. */
  replace_original?: boolean;
  /** Only for `response_url` replies. */
  response_type?: 'ephemeral' | 'in_channel';
}

/** Options of `approvalRequestMessage`. */
export interface RequestMessageOptions {
  /**
   * The gate's one review link (`<public URL>/approvals/<id>`): anyone may open it; deciding needs signing in
   * with GitLab as an approver. Omitted for a closed request.
   */
  reviewUrl?: string;
  /** Add interactive approve / reject buttons (a Slack app with a signing secret is configured). */
  slackApp: boolean;
}

const STATUS_WORDS = {
  APPROVED: 'Approved',
  REJECTED: 'Rejected',
  EXPIRED: 'Timed out',
  SUPERSEDED: 'Superseded',
  ENDED: 'No longer waiting',
} as const;

const STATUS_EMOJI = {
  APPROVED: ':white_check_mark:',
  REJECTED: ':x:',
  EXPIRED: ':hourglass:',
  SUPERSEDED: ':fast_forward:',
  ENDED: ':octagonal_sign:',
} as const;

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: truncate(text, 2000) });
const plain = (text: string) => ({ type: 'plain_text', text: truncate(text, 150), emoji: true });

/** "Alice" for an approver key, falling back to the key. */
export function approverName(view: ApprovalView, key: string): string {
  return view.policy.approvers.find((a) => a.key === key)?.name ?? key;
}

/** One line describing the scan: its own summary text, or the severity counts. */
export function scanLine(view: ApprovalView): string {
  const scan = view.subject.scan;
  const counts = Object.entries(scan.counts ?? {})
    .filter(([, n]) => typeof n === 'number')
    .map(([sev, n]) => `${sev} ${n}`)
    .join(', ');
  const verdict = scan.passed === undefined ? '' : scan.passed ? 'passed' : 'failed';
  const text = scan.text?.trim() || [verdict, counts].filter(Boolean).join(': ') || 'no scan result';
  return truncate(text.replace(/\s+/g, ' '), 600);
}

/** "Alice (alice)" for the person who triggered the release. */
export function triggeredByLine(view: ApprovalView): string {
  const t = view.subject.triggeredBy;
  return t.name && t.name !== t.username ? `${t.name} (${t.username})` : t.username;
}

function votesLine(view: ApprovalView): string {
  const entries = Object.entries(view.votes);
  if (entries.length === 0) return 'none yet';
  return entries
    .map(([key, v]) => `${approverName(view, key)} ${v.decision === 'approve' ? 'approved' : 'rejected'}`)
    .join(', ');
}

function headline(view: ApprovalView): string {
  const s = view.subject;
  return `${s.projectPath} ${shortSha(s.commitSha)} → ${view.environment}`;
}

function linksLine(view: ApprovalView): string {
  const parts = [slackLink(view.executionUrl, 'Execution')];
  if (view.subject.pipelineUrl)
    parts.push(slackLink(view.subject.pipelineUrl, `Pipeline #${view.subject.pipelineId}`));
  if (view.subject.commitUrl) parts.push(slackLink(view.subject.commitUrl, 'Commit'));
  return parts.join('  ·  ');
}

function subjectFields(view: ApprovalView): Block[] {
  const s = view.subject;
  const project = s.projectUrl ? slackLink(s.projectUrl, s.projectPath) : escapeChat(s.projectPath);
  const sha = shortSha(s.commitSha);
  const commit = `${s.commitUrl ? slackLink(s.commitUrl, sha) : `\`${sha}\``} ${escapeChat(truncate(s.commitTitle, 300))}`;
  return [
    mrkdwn(`*Project*\n${project}`),
    mrkdwn(`*Commit*\n${commit}`),
    mrkdwn(`*Environment*\n${escapeChat(view.environment)}`),
    mrkdwn(`*Triggered by*\n${escapeChat(triggeredByLine(view))}`),
    mrkdwn(`*Scan*\n${escapeChat(scanLine(view))}`),
    mrkdwn(
      `*Needs*\n${view.policy.quorum} of ${escapeChat(view.policy.approvers.map((a) => a.name).join(', '))}`,
    ),
  ];
}

function servicesText(view: ApprovalView): string {
  const lines = view.subject.services.map((service) => {
    const image = view.subject.images.find((i) => i.service === service);
    return `• ${escapeChat(service)}${image ? ` \`${escapeChat(image.digest)}\`` : ''}`;
  });
  return `*Services*\n${lines.join('\n')}`;
}

/**
 * The approval request: what is being approved, links to the execution and pipeline, and one "Review and
 * decide" URL button to the request's review page (the same for everyone: votes count for whoever signs in). With a Slack app, approve / reject
 * buttons too (`action_id` approve / reject, `value` = approval id). A closed approval renders without
 * buttons and with its outcome, which is how Slack replies replace the original message.
 */
export function approvalRequestMessage(view: ApprovalView, options: RequestMessageOptions): ChatMessage {
  const s = view.subject;
  const deadline = new Date(view.expiresAt * 1000).toISOString();
  const open = view.status === 'OPEN';
  const title = open
    ? `Approval needed: ${headline(view)}`
    : `${STATUS_WORDS[view.status as keyof typeof STATUS_WORDS]}: ${headline(view)}`;

  const blocks: Block[] = [
    { type: 'header', text: plain(title) },
    { type: 'section', fields: subjectFields(view) },
    { type: 'section', text: mrkdwn(servicesText(view)) },
    { type: 'section', text: mrkdwn(linksLine(view)) },
    {
      type: 'context',
      elements: [
        mrkdwn(
          open
            ? `Votes: ${escapeChat(votesLine(view))}  ·  open until ${deadline}  ·  approval ${view.id}`
            : `${escapeChat(outcomeSentence(view))}  ·  approval ${view.id}`,
        ),
      ],
    },
  ];

  const reviewButtons =
    open && options.reviewUrl
      ? [{ type: 'button', text: plain('Review and decide'), url: options.reviewUrl, action_id: 'review' }]
      : [];
  // An actions block holds at most 25 elements.
  for (let i = 0; i < reviewButtons.length; i += 25) {
    blocks.push({
      type: 'actions',
      block_id: `review:${view.id}:${i / 25}`,
      elements: reviewButtons.slice(i, i + 25),
    });
  }
  if (open && options.slackApp) {
    blocks.push({
      type: 'actions',
      block_id: `decide:${view.id}`,
      elements: [
        { type: 'button', text: plain('Approve'), style: 'primary', action_id: 'approve', value: view.id },
        {
          type: 'button',
          text: plain('Reject'),
          style: 'danger',
          action_id: 'reject',
          value: view.id,
          confirm: {
            title: plain('Reject this release?'),
            text: plain(`The release stops at ${view.environment}. Use "Review" to give a reason.`),
            confirm: plain('Reject'),
            deny: plain('Cancel'),
          },
        },
      ],
    });
  }

  const textLines = open
    ? [
        `Approval needed: ${escapeChat(s.projectPath)} \`${shortSha(s.commitSha)}\` "${escapeChat(truncate(s.commitTitle, 300))}" → ${escapeChat(view.environment)}`,
        `Services: ${s.services
          .map((svc) => {
            const image = s.images.find((i) => i.service === svc);
            return `${escapeChat(svc)}${image ? ` @ ${escapeChat(image.digest)}` : ''}`;
          })
          .join(', ')}`,
        `Scan: ${escapeChat(scanLine(view))}`,
        `Triggered by: ${escapeChat(triggeredByLine(view))}`,
        `Needs ${view.policy.quorum} of: ${escapeChat(view.policy.approvers.map((a) => a.name).join(', '))} (until ${deadline})`,
        `Execution: ${view.executionUrl}`,
        ...(s.pipelineUrl ? [`Pipeline #${s.pipelineId}: ${s.pipelineUrl}`] : []),
        ...(options.reviewUrl ? [`Review and decide (sign in with GitLab): ${options.reviewUrl}`] : []),
      ]
    : [`${escapeChat(title)} — ${escapeChat(outcomeSentence(view))}`, `Execution: ${view.executionUrl}`];

  return { text: textLines.join('\n'), blocks };
}

/** "Approved by Alice, Bob at …" / "Rejected by Bob: reason" / … for a closed approval. */
export function outcomeSentence(view: ApprovalView): string {
  const o = view.outcome;
  if (!o) return 'still open';
  const names = deciders(
    o.by.map((k) => approverName(view, k)),
    view.votes,
    o.by,
  );
  switch (o.status) {
    case 'APPROVED':
      return `Approved by ${names} at ${o.at}`;
    case 'REJECTED':
      return `Rejected by ${names}${o.reason ? `: ${o.reason}` : ' (no reason given)'}`;
    case 'EXPIRED':
      return `Timed out at ${new Date(view.expiresAt * 1000).toISOString()} with ${
        Object.values(view.votes).filter((v) => v.decision === 'approve').length
      } of ${view.policy.quorum} approvals; the gate failed closed`;
    case 'SUPERSEDED':
      return o.reason ?? 'Superseded by a newer release';
    case 'ENDED':
      return o.reason ?? 'The release no longer waits for this approval';
  }
}

/** The follow-up posted when an approval is decided, rejected, times out or is superseded. */
export function approvalOutcomeMessage(view: ApprovalView): ChatMessage {
  const status = view.status === 'OPEN' ? undefined : view.status;
  const word = status ? STATUS_WORDS[status] : 'Update';
  const emoji = status ? STATUS_EMOJI[status] : ':information_source:';
  const sentence = outcomeSentence(view);
  return {
    text: `${word}: ${escapeChat(headline(view))} — ${escapeChat(sentence)}\nExecution: ${view.executionUrl}`,
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `${emoji} *${word}:* ${escapeChat(headline(view))}\n${escapeChat(truncate(sentence, 1500))}`,
        ),
      },
      { type: 'context', elements: [mrkdwn(`${linksLine(view)}  ·  approval ${view.id}`)] },
    ],
  };
}

/** A short private reply to the person who clicked a Slack button (not a member of the channel's view). */
export function ephemeralNotice(text: string): ChatMessage {
  return {
    response_type: 'ephemeral',
    replace_original: false,
    text: escapeChat(text),
    blocks: [{ type: 'section', text: mrkdwn(escapeChat(text)) }],
  };
}
