import { esc, renderGraph, stateStatuses } from './graph';

/** One pending approval as the console shows it. */
export interface PendingApproval {
  executionArn: string;
  executionName: string;
  environment: string;
  state: string;
  since: number;
  /** Approver links from the approval request message (the sandbox is local, so it may show them). */
  links: { label: string; url: string }[];
}

/** What runs in one (environment, service). */
export interface RunningService {
  environment: string;
  service: string;
  cluster: string;
  taskDefinition: string;
  digest: string;
  rolloutState: string;
  deployments: number;
  smokeUrl?: string;
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
  }[];
  approvals: PendingApproval[];
  environments: RunningService[];
  chat: { at: number; text: string }[];
  releases: { id: string; state: string; detail: string }[];
}

/** One execution page. */
export interface ExecutionModel {
  executionArn: string;
  name: string;
  status: string;
  startDate: number;
  stopDate?: number;
  error?: string;
  cause?: string;
  input: string;
  output?: string;
  definition: { StartAt: string; States: Record<string, Record<string, unknown> & { Type: string }> };
  history: { id: number; timestamp: number; type: string; [k: string]: unknown }[];
  approvals: PendingApproval[];
}

const time = (s: number | undefined) =>
  s
    ? new Date(s * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '';

const badge = (status: string) => `<span class="badge ${esc(status.toLowerCase())}">${esc(status)}</span>`;

function approvalsTable(approvals: PendingApproval[], withExecution: boolean): string {
  if (!approvals.length) return '<p class="empty">No approval is waiting.</p>';
  return `<table class="approvals"><thead><tr>${withExecution ? '<th>Release</th>' : ''}<th>Gate</th><th>Waiting since</th><th>Approver links</th></tr></thead><tbody>${approvals
    .map(
      (a) =>
        `<tr class="approval" data-execution="${esc(a.executionName)}" data-environment="${esc(a.environment)}">${
          withExecution
            ? `<td><a href="#/executions/${esc(encodeURIComponent(a.executionArn))}">${esc(a.executionName)}</a></td>`
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
    .join('')}</tbody></table>`;
}

/** The overview fragment: releases, executions, approvals, environments, chat. */
export function renderOverview(m: OverviewModel): string {
  const envs = [...new Set(m.environments.map((e) => e.environment))];
  return `<section><h2>Pending approvals</h2>${approvalsTable(m.approvals, true)}</section>
<section><h2>Executions</h2>${
    m.executions.length
      ? `<table class="executions"><thead><tr><th>Name</th><th>Status</th><th>Current state</th><th>Started</th><th>Stopped</th></tr></thead><tbody>${m.executions
          .map(
            (e) =>
              `<tr class="execution" data-name="${esc(e.name)}" data-status="${esc(e.status)}"><td><a href="#/executions/${esc(encodeURIComponent(e.executionArn))}">${esc(e.name)}</a></td><td>${badge(e.status)}${e.error ? ` <span class="muted">${esc(e.error)}</span>` : ''}</td><td>${esc(e.current ?? '')}</td><td>${esc(time(e.startDate))}</td><td>${esc(time(e.stopDate))}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<p class="empty">No release yet. Run <code>npm run demo</code> or send a GitLab pipeline webhook.</p>'
  }</section>
<section><h2>What runs where</h2><div class="envs">${envs
    .map(
      (env) =>
        `<div class="env"><h3>${esc(env)}</h3><table><thead><tr><th>Service</th><th>Digest</th><th>Task definition</th><th>Rollout</th></tr></thead><tbody>${m.environments
          .filter((e) => e.environment === env)
          .map(
            (s) =>
              `<tr class="running" data-environment="${esc(s.environment)}" data-service="${esc(s.service)}" data-digest="${esc(s.digest)}"><td>${esc(s.service)}</td><td><code title="${esc(s.digest)}">${esc(s.digest.slice(0, 19))}…</code></td><td>${esc(s.taskDefinition.split('/').pop())}</td><td>${badge(s.rolloutState)}${s.deployments > 1 ? ` <span class="muted">${s.deployments} deployments</span>` : ''}</td></tr>`,
          )
          .join('')}</tbody></table></div>`,
    )
    .join('')}</div></section>
${m.releases.length ? `<section><h2>Releases (Shipgate API)</h2><ul class="releases">${m.releases.map((r) => `<li><b>${esc(r.id)}</b> ${badge(r.state)} <span class="muted">${esc(r.detail)}</span></li>`).join('')}</ul></section>` : ''}
<section><h2>Chat messages</h2>${
    m.chat.length
      ? `<ul class="chat">${m.chat
          .slice(0, 15)
          .map((c) => `<li><span class="muted">${esc(time(c.at))}</span> ${esc(c.text)}</li>`)
          .join('')}</ul>`
      : '<p class="empty">No chat message yet.</p>'
  }</section>`;
}

/** Human summary of a history event. */
function describeEvent(ev: Record<string, unknown>): string {
  for (const [k, v] of Object.entries(ev)) {
    if (!k.endsWith('EventDetails') || !v || typeof v !== 'object') continue;
    const d = v as Record<string, unknown>;
    const parts: string[] = [];
    if (d.name !== undefined) parts.push(String(d.name));
    if (d.index !== undefined) parts.push(`#${String(d.index)}`);
    if (d.resource) parts.push(String(d.resource));
    if (d.error) parts.push(`error ${String(d.error)}`);
    if (d.cause) parts.push(String(d.cause).slice(0, 300));
    return parts.join(' · ');
  }
  return '';
}

/** The execution fragment: graph, status, pending approvals, event history. */
export function renderExecution(m: ExecutionModel): string {
  const statuses = stateStatuses(m.definition, m.history, m.status === 'RUNNING');
  return `<section class="execution-detail" data-status="${esc(m.status)}"><h2>${esc(m.name)} ${badge(m.status)}</h2>
<p class="muted">${esc(m.executionArn)} · started ${esc(time(m.startDate))}${m.stopDate ? ` · stopped ${esc(time(m.stopDate))}` : ''}</p>
${m.error || m.cause ? `<p class="error"><b>${esc(m.error)}</b> ${esc(m.cause)}</p>` : ''}
<div class="legend"><span class="node-key done">done</span><span class="node-key current">current</span><span class="node-key failed">failed / left by a Catch</span><span class="node-key idle">not reached</span></div>
<div class="graph-wrap">${renderGraph(m.definition, statuses)}</div>
<h3>Pending approvals</h3>${approvalsTable(m.approvals, false)}
<h3>Event history</h3><table class="history"><thead><tr><th>#</th><th>Time</th><th>Type</th><th>Details</th></tr></thead><tbody>${m.history
    .map(
      (ev) =>
        `<tr class="event ${esc(ev.type)}"><td>${ev.id}</td><td>${esc(time(ev.timestamp))}</td><td>${esc(ev.type)}</td><td>${esc(describeEvent(ev))}</td></tr>`,
    )
    .join('')}</tbody></table>
<details><summary>Input</summary><pre>${esc(m.input)}</pre></details>${m.output ? `<details><summary>Output</summary><pre>${esc(m.output)}</pre></details>` : ''}</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:baseline}
header h1{font-size:18px;margin:0}header a{color:#9cc3ff}main{padding:16px 20px;max-width:1300px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:10px 16px;margin-bottom:14px}
h2{font-size:16px;margin:6px 0 10px}h3{font-size:14px;margin:12px 0 6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#5b6475}code{font-size:12px}.muted,.empty{color:#7a8394}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;background:#e8eaef}
.badge.running,.badge.in_progress{background:#dbe9ff}.badge.succeeded,.badge.completed{background:#d9f2e1}
.badge.failed,.badge.aborted,.badge.timed_out{background:#fde0e0}
.envs{display:flex;gap:16px;flex-wrap:wrap}.env{flex:1;min-width:380px}
.approve-link{display:inline-block;margin:2px 6px 2px 0;padding:2px 8px;border:1px solid #2f6fde;border-radius:6px;color:#2f6fde;text-decoration:none}
.graph-wrap{overflow:auto;border:1px solid #eef0f3;border-radius:6px;background:#fbfcfd}
.node rect{fill:#fff;stroke:#b7bfcc;stroke-width:1.5}.node text{text-anchor:middle;font-size:12px}.node .type{fill:#7a8394;font-size:10px}
.node.done rect{fill:#e3f5e9;stroke:#2e9d5b}.node.current rect{fill:#dbe9ff;stroke:#2f6fde;stroke-width:3}
.node.failed rect{fill:#fde6e6;stroke:#d23c3c}.edge{fill:none;stroke:#8a94a6;stroke-width:1.2}.edge.catch{stroke:#d98c8c;stroke-dasharray:4 3}.edge.loop{stroke-dasharray:2 3}
.legend{display:flex;gap:10px;margin:6px 0}.node-key{padding:1px 8px;border-radius:4px;border:1px solid #b7bfcc;font-size:12px}
.node-key.done{background:#e3f5e9}.node-key.current{background:#dbe9ff}.node-key.failed{background:#fde6e6}
.error{color:#a12626}pre{white-space:pre-wrap;font-size:12px;background:#f6f7f9;padding:8px}
`;

/**
 * The console shell: server-rendered overview plus a little script that shows `#/executions/<arn>` (the
 * links Shipgate's messages carry) and refreshes both every two seconds.
 */
export function renderShell(
  overviewHtml: string,
  info: { stateDir: string; awsEndpoint: string; publicUrl: string },
): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Shipgate sandbox</title><style>${STYLE}</style></head><body>
<header><h1>Shipgate sandbox</h1><a href="#/">Overview</a><span class="muted">AWS endpoint ${esc(info.awsEndpoint)} · state ${esc(info.stateDir)}</span></header>
<main><div id="execution"></div><div id="overview">${overviewHtml}</div></main>
<script>
(function(){
  var exec=document.getElementById('execution'), over=document.getElementById('overview');
  function arn(){var m=/^#\\/executions\\/(.+)$/.exec(location.hash);return m?decodeURIComponent(m[1]):null}
  function load(){
    var a=arn();
    if(a){fetch('/_sandbox/ui/execution?arn='+encodeURIComponent(a)).then(function(r){return r.text()}).then(function(t){exec.innerHTML=t;over.style.display='none'});}
    else{exec.innerHTML='';over.style.display='';fetch('/_sandbox/ui/overview').then(function(r){return r.text()}).then(function(t){over.innerHTML=t});}
  }
  window.addEventListener('hashchange',load);load();setInterval(load,2000);
})();
</script></body></html>`;
}
