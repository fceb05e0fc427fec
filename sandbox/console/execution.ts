/**
 * The execution page: error header, freeze hold, graph with the selected state's panel, per-state table and
 * the event history (each row expands to its JSON), like the Step Functions console's execution page.
 */
import { badge, duration, esc, executionHref, prettyJson, readableCause, time } from './format';
import { innerScope, type AslScope } from './asl';
import { renderGraph } from './graph';
import { STATUS_LABEL, traceExecution, type HistoryEvent, type StateVisit } from './trace';
import { approvalsTable, pausesTable, type PendingApproval } from './pages';
import type { PendingPause } from './pending-pauses';

/** One execution and how the user looks at it. */
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
  definition: AslScope;
  history: HistoryEvent[];
  approvals: PendingApproval[];
  /** Pauses of this execution waiting for people. */
  pauses?: PendingPause[];
  /** Seconds since the epoch, now (elapsed times of running things). */
  now?: number;
  /** State whose panel is open. */
  selected?: string;
  /** Map states drawn open. */
  expanded?: string[];
  /** Draw every Catch edge. */
  showCatch?: boolean;
}

/** A deploy freeze holding the execution: what freezes it and until when. */
export interface FreezeHold {
  state: string;
  reason: string;
  until?: string;
}

/** The freeze holding a running execution in a Wait state, read from that state's input (`frozen: true`). */
export function freezeHold(visits: StateVisit[], definition: AslScope): FreezeHold | undefined {
  const current = [...visits].reverse().find((v) => v.status === 'current');
  if (!current || definition.States[current.name]?.Type !== 'Wait') return undefined;
  let found: { reason?: string; until?: string } | undefined;
  const walk = (v: unknown) => {
    if (found || !v || typeof v !== 'object') return;
    const o = v as { frozen?: unknown; reason?: unknown; until?: unknown };
    if (o.frozen === true) {
      found = {
        reason: typeof o.reason === 'string' ? o.reason : undefined,
        until: typeof o.until === 'string' ? o.until : undefined,
      };
      return;
    }
    Object.values(o).forEach(walk);
  };
  try {
    walk(JSON.parse(current.input ?? 'null'));
  } catch {
    return undefined;
  }
  return found
    ? { state: current.name, reason: found.reason ?? 'a deploy freeze', until: found.until }
    : undefined;
}

/** Human summary of a history event. */
export function describeEvent(ev: Record<string, unknown>): string {
  for (const [k, v] of Object.entries(ev)) {
    if (!k.endsWith('EventDetails') || !v || typeof v !== 'object') continue;
    const d = v as Record<string, unknown>;
    const parts: string[] = [];
    if (d.name !== undefined) parts.push(String(d.name));
    if (d.index !== undefined) parts.push(`iteration ${String(d.index)}`);
    if (d.resource) parts.push(String(d.resource).split(':').pop()!);
    if (d.error) parts.push(String(d.error));
    if (d.cause) parts.push(readableCause(String(d.cause)).split('\n')[0].slice(0, 160));
    return parts.join(' · ');
  }
  return '';
}

function statePanel(
  m: ExecutionModel,
  visits: StateVisit[],
  byId: Map<number, HistoryEvent>,
  now: number,
): string {
  const name = m.selected;
  if (!name) {
    return '<aside class="state-panel empty" id="state-panel"><p class="muted">Select a state in the graph or the table to see its input, output, error and events.</p></aside>';
  }
  const mine = visits.filter((v) => v.name === name);
  const isMap = Boolean(innerScope(m.definition.States[name] ?? { Type: '' }));
  const head = `<div class="panel-head"><h3>${esc(name)}</h3><a class="close" href="${esc(executionHref(m.executionArn, viewParams(m, { state: '' })))}" aria-label="Close">×</a></div>`;
  const mapToggle = isMap
    ? `<p><a class="map-toggle" data-map="${esc(name)}" href="${esc(executionHref(m.executionArn, viewParams(m, { toggle: name })))}">${(m.expanded ?? []).includes(name) ? 'Collapse' : 'Expand'} this Map's inner states</a></p>`
    : '';
  if (!mine.length) {
    return `<aside class="state-panel" id="state-panel" data-state="${esc(name)}">${head}<p>${badge('idle', STATUS_LABEL.idle)} The execution never entered this state.</p>${mapToggle}</aside>`;
  }
  const body = mine
    .map((v, i) => {
      const took = v.exitedAt ?? (v.status === 'current' ? now : undefined) ?? undefined;
      return `<section class="visit" data-visit="${i}"><p>${badge(v.status, STATUS_LABEL[v.status])} ${mine.length > 1 ? `<span class="muted">visit ${i + 1} of ${mine.length}</span> ` : ''}<span class="muted">started ${esc(time(v.enteredAt))}${took !== undefined ? ` · ${esc(duration(took - v.enteredAt))}${v.exitedAt === undefined && m.status === 'RUNNING' ? ' so far' : ''}` : ''}</span></p>${
        v.error
          ? `<div class="state-error"><b>${esc(v.error)}</b><p>${esc(readableCause(v.cause))}</p></div>`
          : ''
      }<details class="io" data-key="input-${i}"><summary>Input</summary><pre>${esc(prettyJson(v.input))}</pre></details>${
        v.output !== undefined
          ? `<details class="io" data-key="output-${i}"><summary>Output</summary><pre>${esc(prettyJson(v.output))}</pre></details>`
          : ''
      }<details class="io" data-key="events-${i}"><summary>Events (${v.events.length})</summary><ul class="visit-events">${v.events
        .map((id) => {
          const ev = byId.get(id);
          return ev
            ? `<li><button type="button" class="link" data-event="${id}">#${id}</button> ${esc(ev.type)} <span class="muted">${esc(describeEvent(ev))}</span></li>`
            : '';
        })
        .join('')}</ul></details></section>`;
    })
    .join('');
  return `<aside class="state-panel" id="state-panel" data-state="${esc(name)}">${head}${mapToggle}${body}</aside>`;
}

/** The hash parameters of the current view, with changes (`toggle` flips one Map). */
function viewParams(
  m: ExecutionModel,
  change: { state?: string; toggle?: string; catch?: boolean },
): Record<string, string> {
  const expanded = new Set(m.expanded ?? []);
  if (change.toggle) {
    if (expanded.has(change.toggle)) expanded.delete(change.toggle);
    else expanded.add(change.toggle);
  }
  const state = change.state ?? m.selected ?? '';
  const showCatch = change.catch ?? m.showCatch;
  return {
    ...(state ? { state } : {}),
    ...(expanded.size ? { expand: [...expanded].join(',') } : {}),
    ...(showCatch ? { catch: '1' } : {}),
  };
}

/** The execution fragment. */
export async function renderExecution(m: ExecutionModel): Promise<string> {
  // Open things of an ended execution ended with it.
  const now = m.stopDate ?? m.now ?? Date.now() / 1000;
  const trace = traceExecution(m.definition, m.history, m.status);
  const byId = new Map(m.history.map((e) => [e.id, e]));
  const graph = await renderGraph(m.definition, {
    statuses: trace.statuses,
    taken: trace.taken,
    expanded: new Set(m.expanded ?? []),
    showCatch: m.showCatch,
    selected: m.selected,
  });
  const hold = m.status === 'RUNNING' ? freezeHold(trace.visits, m.definition) : undefined;
  const elapsed = (m.stopDate ?? now) - m.startDate;
  const message = readableCause(m.cause);
  const errorHeader =
    m.error || m.cause
      ? `<div class="error-header" role="alert"><b class="error-name">${esc(m.error ?? 'Error')}</b><p class="error-message">${esc(message || 'No cause was given.')}</p></div>`
      : '';
  const freeze = hold
    ? `<div class="freeze-hold" role="status"><b>Held by a deploy freeze</b> in “${esc(hold.state)}”: ${esc(hold.reason)}.${
        hold.until
          ? ` It ends at <time datetime="${esc(hold.until)}">${esc(time(Date.parse(hold.until) / 1000))}</time> (in ${esc(duration(Date.parse(hold.until) / 1000 - now))}); the release continues then.`
          : ' The freeze has no end time.'
      }</div>`
    : '';
  const firstVisit = new Map<string, StateVisit[]>();
  for (const v of trace.visits) firstVisit.set(v.name, [...(firstVisit.get(v.name) ?? []), v]);
  const rows = [...firstVisit.entries()]
    .map(([name, vs]) => {
      const status = trace.statuses[name];
      const start = vs[0].enteredAt;
      const end = vs.every((v) => v.exitedAt !== undefined)
        ? Math.max(...vs.map((v) => v.exitedAt!))
        : undefined;
      const err = vs.find((v) => v.error);
      return `<tr class="state-row${m.selected === name ? ' selected' : ''}" data-state="${esc(name)}" data-status="${status}"><td><a href="${esc(executionHref(m.executionArn, viewParams(m, { state: name })))}">${esc(name)}</a>${vs.length > 1 ? ` <span class="muted">×${vs.length}</span>` : ''}</td><td>${badge(status, STATUS_LABEL[status])}</td><td>${esc(time(start))}</td><td>${esc(duration((end ?? now) - start))}${end === undefined && m.status === 'RUNNING' ? ' so far' : ''}</td><td class="wrap">${err ? esc(err.error) : ''}</td></tr>`;
    })
    .join('');
  const history = m.history
    .map(
      (ev) =>
        `<details class="event" id="event-${ev.id}" data-key="event-${ev.id}" data-type="${esc(ev.type)}"><summary><span class="ev-id">${ev.id}</span><span class="ev-type">${esc(ev.type)}</span><span class="ev-detail">${esc(describeEvent(ev))}</span><span class="ev-time" title="${esc(time(ev.timestamp))}">+${esc(duration(ev.timestamp - m.startDate))}</span></summary><pre>${esc(JSON.stringify(ev, null, 2))}</pre></details>`,
    )
    .join('');
  const catchHref = executionHref(m.executionArn, viewParams(m, { catch: !m.showCatch }));
  return `<section class="execution-detail" data-status="${esc(m.status)}" data-live="${m.status === 'RUNNING'}" data-arn="${esc(m.executionArn)}">
<h2><span class="wrap">${esc(m.name)}</span> ${badge(m.status)}</h2>
<p class="muted wrap">${esc(m.executionArn)}</p>
<p class="meta">Started ${esc(time(m.startDate))}${m.stopDate ? ` · ended ${esc(time(m.stopDate))}` : ''} · ${m.stopDate ? 'took' : 'running for'} ${esc(duration(elapsed))}</p>
${errorHeader}${freeze}
${m.approvals.length ? `<h3>Pending approvals</h3>${approvalsTable(m.approvals, false)}` : ''}${m.pauses?.length ? `<h3>Pending pauses</h3>${pausesTable(m.pauses, false)}` : ''}
</section>
<div class="exec-grid">
<section class="graph-card"><div class="graph-bar"><h3>Graph</h3><div class="legend">${(
    ['succeeded', 'failed', 'caught', 'current', 'aborted', 'idle'] as const
  )
    .map((s) => `<span class="node-key ${s}">${STATUS_LABEL[s]}</span>`)
    .join(
      '',
    )}</div><a class="catch-toggle" href="${esc(catchHref)}">${m.showCatch ? 'Hide' : 'Show'} all catch edges</a></div><div class="graph-wrap">${graph}</div><p class="graph-hint">Drag to pan, wheel or pinch (or the + / − buttons) to zoom.</p></section>
${statePanel(m, trace.visits, byId, now)}
</div>
<section><h3>States</h3><div class="scroll"><table class="states"><thead><tr><th>State</th><th>Status</th><th>Started</th><th>Duration</th><th>Error</th></tr></thead><tbody>${rows}</tbody></table></div></section>
<section><h3>Event history <span class="muted">(${m.history.length} events; open a row for its JSON)</span></h3><div class="history">${history}</div></section>
<section><h3>Execution input and output</h3><details class="io" data-key="exec-input"><summary>Input</summary><pre>${esc(prettyJson(m.input))}</pre></details>${m.output ? `<details class="io" data-key="exec-output"><summary>Output</summary><pre>${esc(prettyJson(m.output))}</pre></details>` : ''}</section>`;
}
