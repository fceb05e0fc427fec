import { escapeHtml, identityWords, layout, link } from '../approvals/page';
import { decisionBlock, viewerLine, type Viewer } from '../decisions/page';
import { asSentence } from '../chat/format';
import { pauseHeadline, pauseOutcomeSentence, stageWords } from './messages';
import type { PauseView } from './types';

/**
 * A pause's confirm page: plain HTML without JavaScript, the same headers and escaping as the approval page.
 * GET shows the facts and the form; only the form's POST decides. Submit buttons `name="decision"` valued
 * `continue` and `rollback`, and an optional `reason`.
 */

/** Options of the pause page. */
export interface PausePageOptions {
  /** Who is looking (signed in or not, approver or not). */
  viewer: Viewer;
  notice?: { kind: 'ok' | 'warn' | 'bad'; text: string };
  nowSeconds: number;
  /** Why the rollout no longer waits here, when it does not (the page then shows no form). */
  noLongerWaiting?: string;
}

const nameOf = (view: PauseView, key: string) =>
  view.policy.approvers.find((a) => a.key === key)?.name ?? key;

/** The review page of a pause (one for everyone; who may decide depends on the sign-in). */
export function renderPausePage(view: PauseView, options: PausePageOptions): string {
  const f = view.facts;
  const deadline = new Date(view.expiresAt * 1000).toISOString();
  const votes = Object.entries(view.votes);
  const votesHtml = votes.length
    ? `<ul>${votes
        .map(
          ([k, v]) =>
            `<li>${escapeHtml(nameOf(view, k))}: ${v.decision === 'continue' ? 'continue' : 'roll back'} at ${escapeHtml(v.at)} <small>(${escapeHtml(identityWords(v))})</small>${v.reason ? ` — “${escapeHtml(v.reason)}”` : ''}</li>`,
        )
        .join('')}</ul>`
    : '<p>No decisions yet.</p>';
  const overdue = options.nowSeconds >= view.expiresAt;
  let action: string;
  if (view.status === 'OPEN' && options.noLongerWaiting) {
    action = `<p class="status bad">${escapeHtml(options.noLongerWaiting)}</p>`;
  } else if (view.status !== 'OPEN') {
    action = `<p class="status ${view.status === 'CONTINUED' ? 'ok' : 'bad'}">${escapeHtml(asSentence(pauseOutcomeSentence(view)))} This pause takes no more decisions.</p>`;
  } else if (overdue) {
    action = `<p class="status bad">The deadline (${escapeHtml(deadline)}) has passed: ECS takes its timeout action ${escapeHtml(view.policy.onTimeout)}.</p>`;
  } else {
    action = decisionBlock(options.viewer, {
      reasonLabel: "Reason (optional; for a roll back it is the release's failure reason)",
      positive: { value: 'continue', label: 'Continue' },
      negative: { value: 'rollback', label: 'Roll back' },
    });
  }
  const body = `<h1>${escapeHtml(pauseHeadline(view))}</h1>
${options.notice ? `<p class="status ${options.notice.kind}">${escapeHtml(options.notice.text)}</p>` : ''}
<dl>
<dt>Release</dt><dd>${escapeHtml(view.release.projectPath)} <code>${escapeHtml(view.release.commitSha.slice(0, 8))}</code> ${escapeHtml(view.release.commitTitle)}</dd>
<dt>Service</dt><dd>${escapeHtml(view.service)} <code>${escapeHtml(view.digest)}</code> in ${escapeHtml(view.environment)}</dd>
<dt>Paused</dt><dd>${escapeHtml(stageWords(view.stage))}</dd>
<dt>Step</dt><dd>${escapeHtml(f.step)}</dd>
<dt>Traffic</dt><dd>test ${escapeHtml(String(f.weights.test ?? 0))} %, production ${escapeHtml(String(f.weights.production ?? 0))} % on the new revision</dd>
<dt>Smoke checks</dt><dd><ul>${f.smoke.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul></dd>
<dt>Alarms</dt><dd>${f.alarms.length ? `<ul>${f.alarms.map((a) => `<li>${escapeHtml(a.name)}: ${escapeHtml(a.state)}</li>`).join('')}</ul>` : 'none'}${f.alarmNote ? ` <small>(${escapeHtml(f.alarmNote)})</small>` : ''}</dd>
<dt>Needs</dt><dd>${view.policy.quorum} “continue” of ${escapeHtml(view.policy.approvers.map((a) => a.name).join(', '))}; one “roll back” decides. Until ${escapeHtml(deadline)}, then ECS takes the timeout action ${escapeHtml(view.policy.onTimeout)}.</dd>
<dt>Links</dt><dd>${link(view.executionUrl, 'Execution')}</dd>
</dl>
<h2>Decisions</h2>
${votesHtml}
${action}
${view.status === 'OPEN' && !options.noLongerWaiting && !overdue ? '' : viewerLine(options.viewer)}
<p><small>Pause ${escapeHtml(view.id)}</small></p>`;
  return layout(`Pause ${view.service} → ${view.environment}`, body);
}
