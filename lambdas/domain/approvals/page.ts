import { createHash } from 'node:crypto';
import { asSentence } from '../chat/format';
import { approverName, outcomeSentence, scanLine, triggeredByLine } from '../chat/messages';
import { decisionBlock, viewerLine, type Viewer } from '../decisions/page';
import { escapeHtml } from '../decisions/html';
import type { ApprovalView } from './types';

/** Escaping lives with the shared review-page parts; re-exported for the pages and messages that use it here. */
export { escapeHtml };

/**
 * The confirm page: plain HTML that works without JavaScript. Everything that came from outside is escaped
 * with `escapeHtml`; the only style sheet is inline and allowed by its hash in the Content-Security-Policy,
 * so no script, frame, image or foreign form target can run or load.
 */

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}code{font-size:.85em}.status{padding:.6rem 1rem;border-radius:6px;background:#f6f8fa}
.warn{background:#fff8c5}.ok{background:#dafbe1}.bad{background:#ffebe9}textarea{width:100%;min-height:5rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:6px;border:1px solid #8c959f;cursor:pointer}
button[value=approve],button[value=continue]{background:#1f883d;color:#fff}button[value=reject],button[value=rollback]{background:#cf222e;color:#fff}
a.button{display:inline-block;font-size:1rem;padding:.5rem 1.2rem;border-radius:6px;background:#6e40c9;color:#fff;text-decoration:none}
form.inline{display:inline}form.inline button{font-size:.85rem;padding:.2rem .6rem}`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Security headers of every confirm-page response (strict CSP, no framing, no referrer, no caching). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
};

/** A link only when the URL is http(s) (a `javascript:` URL from a payload becomes plain text). */
export function link(url: string | undefined, label: string): string {
  if (!url || !/^https?:\/\//i.test(url)) return escapeHtml(label);
  return `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${escapeHtml(label)}</a>`;
}

/** The page shell (inline style allowed by its CSP hash). */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · Shipgate</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

/** Options of the review page. */
export interface ApprovalPageOptions {
  /** Who is looking (signed in or not, approver or not). */
  viewer: Viewer;
  /** A banner at the top (e.g. "Your approval was recorded"). */
  notice?: { kind: 'ok' | 'warn' | 'bad'; text: string };
  /** Current time in epoch seconds (to show whether the deadline passed). */
  nowSeconds: number;
  /** Set when the execution no longer waits for this approval (why, in words): the page shows no form. */
  noLongerWaiting?: string;
}

/** The review page of an approval: what is being approved, the votes so far and, while open, sign-in or the form. */
export function renderApprovalPage(view: ApprovalView, options: ApprovalPageOptions): string {
  const s = view.subject;
  const deadline = new Date(view.expiresAt * 1000).toISOString();
  const services = s.services
    .map((svc) => {
      const image = s.images.find((i) => i.service === svc);
      return `<li>${escapeHtml(svc)}${image ? ` <code>${escapeHtml(image.digest)}</code>` : ''}</li>`;
    })
    .join('');
  const votes = Object.entries(view.votes);
  const votesHtml = votes.length
    ? `<ul>${votes
        .map(
          ([key, v]) =>
            `<li>${escapeHtml(approverName(view, key))}: ${v.decision === 'approve' ? 'approved' : 'rejected'} at ${escapeHtml(
              v.at,
            )} <small>(${escapeHtml(identityWords(v))})</small>${v.reason ? ` — “${escapeHtml(v.reason)}”` : ''}</li>`,
        )
        .join('')}</ul>`
    : '<p>No votes yet.</p>';
  const overdue = options.nowSeconds >= view.expiresAt;

  let action: string;
  if (view.status === 'OPEN' && options.noLongerWaiting) {
    action = `<p class="status bad">${escapeHtml(options.noLongerWaiting)}</p>`;
  } else if (view.status !== 'OPEN') {
    action = `<p class="status ${view.status === 'APPROVED' ? 'ok' : 'bad'}">${escapeHtml(asSentence(outcomeSentence(view)))} This request takes no more votes.</p>`;
  } else if (overdue) {
    action = `<p class="status bad">The deadline (${escapeHtml(deadline)}) has passed; the request no longer takes votes.</p>`;
  } else {
    action = decisionBlock(options.viewer, {
      reasonLabel:
        'Reason (optional, shown in the release history and, for a rejection, in the execution’s failure cause)',
      extraFields:
        '<p><label><input type="checkbox" name="hotfix" value="1"> This release is a hotfix (unplanned work: counted in the DORA rework rate)</label></p>\n',
      positive: { value: 'approve', label: 'Approve' },
      negative: { value: 'reject', label: 'Reject' },
    });
  }

  const body = `<h1>${view.status === 'OPEN' && !options.noLongerWaiting ? 'Approve' : 'Approval for'} ${escapeHtml(s.projectPath)} → ${escapeHtml(view.environment)}</h1>
${options.notice ? `<p class="status ${options.notice.kind}">${escapeHtml(options.notice.text)}</p>` : ''}
<dl>
<dt>Project</dt><dd>${link(s.projectUrl, s.projectPath)}</dd>
<dt>Commit</dt><dd>${link(s.commitUrl, s.commitSha.slice(0, 8))} ${escapeHtml(s.commitTitle)} <small>(${escapeHtml(s.ref)})</small></dd>
<dt>Environment</dt><dd>${escapeHtml(view.environment)}</dd>
<dt>Services</dt><dd><ul>${services}</ul></dd>
<dt>Scan</dt><dd>${escapeHtml(scanLine(view))}</dd>
<dt>Triggered by</dt><dd>${escapeHtml(triggeredByLine(view))}</dd>
<dt>Needs</dt><dd>${view.policy.quorum} of ${escapeHtml(view.policy.approvers.map((a) => a.name).join(', '))}, until ${escapeHtml(deadline)}</dd>
<dt>Links</dt><dd>${link(view.executionUrl, 'Execution')}${s.pipelineUrl ? ` · ${link(s.pipelineUrl, `Pipeline #${s.pipelineId}`)}` : ''}</dd>
</dl>
<h2>Votes</h2>
${votesHtml}
${action}
${view.status === 'OPEN' && !options.noLongerWaiting && !overdue ? '' : viewerLine(options.viewer)}
<p><small>Approval ${escapeHtml(view.id)}</small></p>`;
  return layout(`Approval ${s.projectPath} → ${view.environment}`, body);
}

/** "GitLab @alice" / "Slack U01…": how a vote was authenticated. */
export function identityWords(v: { via: string; identity: string }): string {
  const [source, ...rest] = v.identity.split(':');
  const id = rest.join(':');
  if (source === 'gitlab') return `signed in with GitLab as @${id}`;
  if (source === 'slack') return `Slack user ${id}`;
  return v.identity;
}

/** A small error page (bad link, closed request, …) with the reason in words. */
export function renderErrorPage(status: number, message: string): string {
  const title =
    status === 403
      ? 'Not allowed'
      : status === 404
        ? 'Not found'
        : status === 409
          ? 'No longer open'
          : 'Something went wrong';
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="status bad">${escapeHtml(message)}</p>`);
}
