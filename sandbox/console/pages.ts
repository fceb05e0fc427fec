/** The console's overview page and its shell (header, styles, the client script). */
import { decisionRequest, renderChat, type ChatMessage, type OpenRequests } from './chat';
import { badge, environmentHref, esc, executionHref, readableCause, time } from './format';
import type { RunningService } from './environment';
import type { PendingPause } from './pending-pauses';
import { CONSOLE_STYLE } from './style';

export type { RunningService };

/** One pending approval as the console shows it. */
export interface PendingApproval {
  executionArn: string;
  executionName: string;
  environment: string;
  state: string;
  since: number;
  /** The request's review link ("Review and decide"), as the chat message carries it. */
  links: { label: string; url: string }[];
  /** The review link itself (deciding there needs signing in with GitLab as an approver). */
  reviewUrl?: string;
  /** Who may decide, and whether they did. */
  approvers?: { approver: string; name: string; voted: boolean }[];
}

/** Everything the overview page shows. */
export interface OverviewModel {
  executions: {
    executionArn: string;
    name: string;
    status: string;
    startDate: number;
    stopDate?: number;
    current?: string;
    error?: string;
    cause?: string;
  }[];
  approvals: PendingApproval[];
  /** Rollouts held at a pause, waiting for people. */
  pauses?: PendingPause[];
  environments: RunningService[];
  chat: ChatMessage[];
  releases: { id: string; state: string; detail: string }[];
  /** Chat page to show (1-based). @default 1 */
  chatPage?: number;
}

/** The pending approvals table. */
export function approvalsTable(approvals: PendingApproval[], withExecution: boolean): string {
  if (!approvals.length) return '<p class="empty">No approval is waiting.</p>';
  return `<div class="scroll"><table class="approvals"><thead><tr>${withExecution ? '<th>Release</th>' : ''}<th>Gate</th><th>Waiting since</th><th>Review</th></tr></thead><tbody>${approvals
    .map(
      (a) =>
        `<tr class="approval" data-execution="${esc(a.executionName)}" data-environment="${esc(a.environment)}">${
          withExecution
            ? `<td><a href="${esc(executionHref(a.executionArn))}">${esc(a.executionName)}</a></td>`
            : ''
        }<td>${esc(a.state)}</td><td>${esc(time(a.since))}</td><td>${
          a.links.length
            ? a.links
                .map(
                  (l) =>
                    `<a class="approve-link" href="${esc(l.url)}" target="_blank" rel="noopener noreferrer">${esc(l.label)}</a>`,
                )
                .join(' ')
            : '<span class="muted">no approval message received yet</span>'
        }</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

const STAGE_WORDS: Record<string, string> = {
  POST_TEST_TRAFFIC_SHIFT: 'after test traffic',
  POST_PRODUCTION_TRAFFIC_SHIFT: 'after production traffic',
  POST_SCALE_UP: 'after scale-up',
  PRE_SCALE_UP: 'before scale-up',
  TEST_TRAFFIC_SHIFT: 'at test traffic',
  PRODUCTION_TRAFFIC_SHIFT: 'at production traffic',
};

/** The pauses waiting for people: what paused, votes so far, the deadline and each approver's link. */
export function pausesTable(pauses: PendingPause[], withExecution: boolean): string {
  if (!pauses.length) return '';
  return `<div class="scroll"><table class="pauses"><thead><tr>${withExecution ? '<th>Release</th>' : ''}<th>Pause</th><th>Decide before</th><th>Links</th></tr></thead><tbody>${pauses
    .map(
      (p) =>
        `<tr class="pause" data-execution="${esc(p.executionName)}" data-environment="${esc(p.environment)}" data-pause="${esc(p.id)}">${
          withExecution
            ? `<td><a href="${esc(executionHref(p.executionArn))}">${esc(p.executionName)}</a></td>`
            : ''
        }<td>${esc(`${p.service} → ${p.environment} paused ${STAGE_WORDS[p.stage] ?? p.stage}`)} <span class="muted">${p.continues} of ${p.quorum} “continue”</span></td><td>${esc(time(p.deadline))} <span class="muted">then ${esc(p.onTimeout.toLowerCase())}</span></td><td>${p.links
          .map(
            (l) =>
              `<a class="pause-link" href="${esc(l.url)}" target="_blank" rel="noopener noreferrer">${esc(l.label)}</a>`,
          )
          .join(' ')}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

/** Pending approvals and pauses together: everything that waits for a person. */
export function waitingForPeople(
  approvals: PendingApproval[],
  pauses: PendingPause[],
  withExecution: boolean,
): string {
  if (!approvals.length && !pauses.length) return '<p class="empty">No approval or pause is waiting.</p>';
  return `${approvals.length ? approvalsTable(approvals, withExecution) : ''}${pausesTable(pauses, withExecution)}`;
}

/** The approvals and pauses still taking decisions (their decision links' ids). */
function openRequests(m: OverviewModel): OpenRequests | undefined {
  if (!m.pauses) return undefined;
  const ids = (links: { url: string }[], kind: 'approvals' | 'pauses') =>
    links.map((l) => decisionRequest(l.url)).flatMap((r) => (r?.kind === kind ? [r.id] : []));
  return {
    approvals: new Set(m.approvals.flatMap((a) => ids(a.links, 'approvals'))),
    pauses: new Set(m.pauses.map((p) => p.id)),
  };
}

/** The overview fragment: approvals, executions, environments, releases, chat. */
export function renderOverview(m: OverviewModel): string {
  const envs = [...new Set(m.environments.map((e) => e.environment))];
  return `<div class="overview" data-live="true"><section><h2>Waiting for people</h2>${waitingForPeople(m.approvals, m.pauses ?? [], true)}</section>
<section><h2>Executions</h2>${
    m.executions.length
      ? `<div class="scroll"><table class="executions"><thead><tr><th>Name</th><th>Status</th><th>Current state / error</th><th>Started</th><th>Ended</th></tr></thead><tbody>${m.executions
          .map(
            (e) =>
              `<tr class="execution" data-name="${esc(e.name)}" data-status="${esc(e.status)}"><td><a href="${esc(executionHref(e.executionArn))}">${esc(e.name)}</a></td><td>${badge(e.status)}</td><td class="wrap">${e.current ? esc(e.current) : e.error ? `<b>${esc(e.error)}</b> <span class="muted">${esc(readableCause(e.cause).split('\n')[0].slice(0, 140))}</span>` : ''}</td><td>${esc(time(e.startDate))}</td><td>${esc(time(e.stopDate))}</td></tr>`,
          )
          .join('')}</tbody></table></div>`
      : '<p class="empty">No release yet. Run <code>npm run demo</code> or send a GitLab pipeline webhook.</p>'
  }</section>
<section><h2>What runs where</h2><div class="envs">${envs
    .map(
      (env) =>
        `<div class="env"><h3><a href="${esc(environmentHref(env))}">${esc(env)}</a></h3><div class="scroll"><table><thead><tr><th>Service</th><th>Digest</th><th>Rollout</th></tr></thead><tbody>${m.environments
          .filter((e) => e.environment === env)
          .map(
            (s) =>
              `<tr class="running" data-environment="${esc(s.environment)}" data-service="${esc(s.service)}" data-digest="${esc(s.digest)}"><td>${esc(s.service)}</td><td><code title="${esc(s.digest)}">${esc(s.digest.slice(0, 19))}…</code></td><td>${badge(s.rolloutState)}${s.deployments > 1 ? ` <span class="muted">${s.deployments} deployments</span>` : ''}</td></tr>`,
          )
          .join('')}</tbody></table></div></div>`,
    )
    .join('')}</div></section>
${m.releases.length ? `<section><h2>Releases (Shipgate API)</h2><ul class="releases">${m.releases.map((r) => `<li><b class="wrap">${esc(r.id)}</b> ${badge(r.state)} <span class="muted">${esc(r.detail)}</span></li>`).join('')}</ul></section>` : ''}
<section class="chat-panel"><h2>Chat messages</h2>${renderChat(m.chat, m.chatPage ?? 1, (p) => `#/?chat=${p}`, openRequests(m))}</section></div>`;
}

/**
 * The console shell: header, styles, the first view server-rendered, and the client script that routes
 * `#/…` views and updates them in place (DOM morphing) every two seconds while they can change.
 */
export function renderShell(
  firstView: string,
  info: { stateDir: string; awsEndpoint: string; publicUrl: string },
  environments: string[] = [],
): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Shipgate sandbox</title><link rel="icon" href="data:,"><style>${CONSOLE_STYLE}</style></head><body data-refreshes="0">
<header><h1><a href="#/">Shipgate sandbox</a></h1><nav><a href="#/">Overview</a>${environments
    .map((e) => `<a href="${esc(environmentHref(e))}">${esc(e)}</a>`)
    .join(
      '',
    )}<a href="#/dora">DORA</a><a href="#/alarms">Alarms</a></nav><span class="muted info">AWS endpoint ${esc(info.awsEndpoint)} · state ${esc(info.stateDir)}</span></header>
<main id="app">${firstView}</main>
<script src="/_sandbox/assets/console.js"></script></body></html>`;
}
