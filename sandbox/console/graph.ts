/**
 * The release state machine's graph: what each state did in an execution (from its history) and the SVG,
 * laid out by ELK (elkjs, the Eclipse Layout Kernel's layered algorithm) with orthogonal edges that go
 * around nodes, start and end nodes, the path taken highlighted, quiet catch edges and expandable Maps.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';

/** An ASL state (only the fields the console reads are typed). */
export type AnyState = Record<string, unknown> & { Type: string };

/** An ASL definition or a Map's ItemProcessor. */
export interface AslScope {
  StartAt: string;
  States: Record<string, AnyState>;
}

/**
 * How a state fared in an execution, as the Step Functions console says it: `succeeded`, `failed` (its error
 * ended the release, caught or not), `caught` (its error was caught and the execution went on towards
 * success), `current` (running now), `aborted` (the execution was stopped in it), `idle` (not reached).
 */
export type StateStatus = 'succeeded' | 'failed' | 'caught' | 'current' | 'aborted' | 'idle';

/** Words people read for each status (legend, table, panel). */
export const STATUS_LABEL: Record<StateStatus, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  caught: 'Caught failure',
  current: 'In progress',
  aborted: 'Aborted',
  idle: 'Not reached',
};

/** One history event, shaped like `GetExecutionHistory`'s. */
export interface HistoryEvent {
  id: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** One visit of a state: when it was entered and left, what went in and out, which events belong to it. */
export interface StateVisit {
  name: string;
  enteredAt: number;
  exitedAt?: number;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Ids of the history events of this visit. */
  events: number[];
  status: StateStatus;
}

/** What the execution did in each state, from its history. */
export interface ExecutionTrace {
  /** Status per state name (nested Map states included), aggregated over visits. */
  statuses: Record<string, StateStatus>;
  /** Every visit in the order entered. */
  visits: StateVisit[];
  /** Transitions taken, as `from→to` (with `__start__` and `__end__`). */
  taken: Set<string>;
}

/** Escapes text for HTML and SVG. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Names of the states each state can go to normally (Next, Choices, Default). */
export function normalSuccessors(state: AnyState): string[] {
  const out: string[] = [];
  if (typeof state.Next === 'string') out.push(state.Next);
  for (const c of (state.Choices ?? []) as { Next?: string }[]) if (c.Next) out.push(c.Next);
  if (typeof state.Default === 'string') out.push(state.Default);
  return [...new Set(out)];
}

/** Targets of a state's Catch clauses. */
export function catchTargets(state: AnyState): string[] {
  return [...new Set(((state.Catch ?? []) as { Next?: string }[]).map((c) => c.Next ?? '').filter(Boolean))];
}

/** Names of the states each state can go to (Next, Choices, Default, Catch). */
export function successors(state: AnyState): string[] {
  return [...new Set([...normalSuccessors(state), ...catchTargets(state)])];
}

/** The Map's inner scope (ItemProcessor, or the older Iterator), if the state is a Map. */
export function innerScope(state: AnyState): AslScope | undefined {
  return (state.ItemProcessor ?? state.Iterator) as AslScope | undefined;
}

/** Every scope of a definition with its states: the top level and each Map's inner scope (by Map name). */
function scopes(definition: AslScope): Map<string, { scope: AslScope; parent?: string }> {
  const out = new Map<string, { scope: AslScope; parent?: string }>([['', { scope: definition }]]);
  const walk = (scope: AslScope) => {
    for (const [name, s] of Object.entries(scope.States)) {
      const inner = innerScope(s);
      if (inner) {
        out.set(name, { scope: inner, parent: name });
        walk(inner);
      }
    }
  };
  walk(definition);
  return out;
}

/** Maps every state name to the scope that holds it ('' = top level, else the Map's name). */
export function scopeOf(definition: AslScope): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, { scope }] of scopes(definition))
    for (const n of Object.keys(scope.States)) out.set(n, key);
  return out;
}

/** Maps every nested state name (inside Map/Parallel) to its top-level state. */
export function topLevelOf(definition: AslScope): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (states: Record<string, AnyState>, top: string | undefined) => {
    for (const [name, s] of Object.entries(states)) {
      out.set(name, top ?? name);
      const proc = innerScope(s);
      if (proc) walk(proc.States, top ?? name);
      for (const b of (s.Branches ?? []) as AslScope[]) walk(b.States, top ?? name);
    }
  };
  walk(definition.States, undefined);
  return out;
}

/** Whether a Catch clause's ErrorEquals catches `error` (States.ALL catches all; States.TaskFailed all but timeouts). */
function catches(errorEquals: string[], error: string | undefined): boolean {
  return errorEquals.some(
    (e) =>
      e === 'States.ALL' ||
      e === error ||
      (e === 'States.TaskFailed' && error !== 'States.Timeout' && error !== 'States.HeartbeatTimeout'),
  );
}

/** Whether some normal path (no Catch) from `from` reaches success: a Succeed state or an `End: true` non-Fail state. */
function reachesSuccess(scope: AslScope, from: string): boolean {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const s = scope.States[n];
    if (!s) continue;
    if (s.Type === 'Succeed' || (s.End === true && s.Type !== 'Fail')) return true;
    todo.push(...normalSuccessors(s));
  }
  return false;
}

const FAILURE_EVENTS: Record<string, string> = {
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  TaskSubmitFailed: 'taskSubmitFailedEventDetails',
  TaskStartFailed: 'taskStartFailedEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapIterationAborted: 'mapIterationAbortedEventDetails',
};

const PRIORITY: StateStatus[] = ['current', 'failed', 'aborted', 'caught', 'succeeded', 'idle'];

/**
 * Reads an execution's history: every visit of every state (nested Map states too) with its input, output,
 * error and events, each visit's status, each state's status and the transitions taken.
 *
 * A visit that left with an error is `failed` when its Catch led onto a path that cannot end in success
 * (e.g. "Report failure" → "Release failed") or nothing caught it, and `caught` when the catch target can
 * still reach success (a timeout caught to re-check a rollout). A Fail state entered is `failed`. A visit
 * still open at the end is `current` (running), `aborted` (execution aborted) or `failed`.
 */
export function traceExecution(
  definition: AslScope,
  history: HistoryEvent[],
  executionStatus: string,
): ExecutionTrace {
  const scopeKey = scopeOf(definition);
  const allScopes = scopes(definition);
  const stateOf = (name: string) => allScopes.get(scopeKey.get(name) ?? '')?.scope.States[name];
  const visits: StateVisit[] = [];
  const open: StateVisit[] = [];
  const taken = new Set<string>();
  const lastInScope = new Map<string, string>();
  const close = (v: StateVisit, at: number) => {
    v.exitedAt = at;
    open.splice(open.indexOf(v), 1);
  };
  for (const ev of history) {
    const entered =
      (ev.stateEnteredEventDetails as { name?: string; input?: string } | undefined) ?? undefined;
    const exited =
      (ev.stateExitedEventDetails as { name?: string; output?: string } | undefined) ?? undefined;
    if (entered?.name && scopeKey.has(entered.name)) {
      const key = scopeKey.get(entered.name)!;
      // A sibling still open with an error was left through its Catch without a StateExited.
      for (const o of [...open]) if (scopeKey.get(o.name) === key && o.error) close(o, ev.timestamp);
      const prev = lastInScope.get(key);
      taken.add(`${prev ?? (key ? `__start__${key}` : '__start__')}→${entered.name}`);
      lastInScope.set(key, entered.name);
      const v: StateVisit = {
        name: entered.name,
        enteredAt: ev.timestamp,
        input: entered.input,
        events: [ev.id],
        status: 'idle',
      };
      visits.push(v);
      open.push(v);
      if (stateOf(entered.name)?.Type === 'Fail') {
        v.status = 'failed';
        close(v, ev.timestamp);
      }
      continue;
    }
    if (exited?.name && scopeKey.has(exited.name)) {
      const v = [...open].reverse().find((o) => o.name === exited.name);
      if (v) {
        v.output = exited.output;
        v.events.push(ev.id);
        close(v, ev.timestamp);
      }
      continue;
    }
    const mapName = Object.entries(ev).find(([k]) => /^mapIteration\w+EventDetails$/.test(k))?.[1] as
      { name?: string } | undefined;
    const owner = mapName?.name
      ? [...open].reverse().find((o) => o.name === mapName.name)
      : open[open.length - 1];
    if (!owner) continue;
    owner.events.push(ev.id);
    const failureKey = FAILURE_EVENTS[ev.type];
    if (failureKey) {
      const d = (ev[failureKey] ?? {}) as { error?: string; cause?: string };
      owner.error = d.error ?? (ev.type.startsWith('MapIteration') ? 'States.MapIterationFailed' : ev.type);
      owner.cause = d.cause;
    } else if (ev.type === 'TaskSucceeded') {
      // A retry that succeeded: the earlier attempt's error no longer decides the state.
      owner.error = undefined;
      owner.cause = undefined;
    }
  }
  for (const v of visits) {
    if (v.status !== 'idle') continue;
    if (v.exitedAt === undefined) {
      v.status = v.error
        ? 'failed'
        : executionStatus === 'RUNNING'
          ? 'current'
          : executionStatus === 'ABORTED'
            ? 'aborted'
            : 'failed';
      continue;
    }
    if (!v.error) {
      v.status = 'succeeded';
      continue;
    }
    const s = stateOf(v.name);
    const clause = ((s?.Catch ?? []) as { ErrorEquals?: string[]; Next?: string }[]).find((c) =>
      catches(c.ErrorEquals ?? [], v.error),
    );
    const scope = allScopes.get(scopeKey.get(v.name) ?? '')!.scope;
    v.status = clause?.Next && reachesSuccess(scope, clause.Next) ? 'caught' : 'failed';
  }
  const statuses: Record<string, StateStatus> = {};
  for (const v of visits) {
    const had = statuses[v.name];
    if (!had || PRIORITY.indexOf(v.status) < PRIORITY.indexOf(had)) statuses[v.name] = v.status;
  }
  // The end node: reached when the execution ended through a terminal state of the top level.
  const lastTop = lastInScope.get('');
  const lastState = lastTop ? definition.States[lastTop] : undefined;
  if (lastTop && executionStatus !== 'RUNNING' && lastState) {
    if (lastState.Type === 'Fail' || lastState.Type === 'Succeed' || lastState.End === true) {
      taken.add(`${lastTop}→__end__`);
    }
  }
  for (const [key, last] of lastInScope) {
    if (!key) continue;
    const s = allScopes.get(key)!.scope.States[last];
    if (s?.End === true || s?.Type === 'Succeed') taken.add(`${last}→__end__${key}`);
  }
  return { statuses, visits, taken };
}

/**
 * Status of each state (nested ones included) from an execution's history; see `traceExecution`.
 * @example stateStatuses(definition, history, 'FAILED') // { Scan: 'failed', 'Report failure': 'succeeded', … }
 */
export function stateStatuses(
  definition: AslScope,
  history: HistoryEvent[],
  executionStatus: string,
): Record<string, StateStatus> {
  return traceExecution(definition, history, executionStatus).statuses;
}

/** What to draw besides the definition. */
export interface GraphView {
  statuses: Record<string, StateStatus>;
  taken: Set<string>;
  /** Map states drawn open, with their inner states. */
  expanded?: Set<string>;
  /** Draw every Catch edge (otherwise only the ones taken). */
  showCatch?: boolean;
  /** The state whose panel is open. */
  selected?: string;
}

/** A laid-out graph, ready to draw. */
interface Laid {
  nodes: {
    id: string;
    x: number;
    y: number;
    width: number;
    height: number;
    kind: 'state' | 'start' | 'end' | 'map';
  }[];
  edges: { id: string; from: string; to: string; catch: boolean; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

const NODE_H = 44;
const elk = new ELK();
const layoutCache = new Map<string, Promise<Laid>>();

/** Node width from its label: wide enough for the whole name (no "…"), at 12.5 px system-ui. */
function nodeWidth(name: string, sub: string): number {
  return Math.max(150, Math.ceil(Math.max(name.length * 7.4, sub.length * 6.2)) + 28);
}

/** Subtitle of a state's node. */
function subtitle(s: AnyState, expanded: boolean): string {
  const inner = innerScope(s);
  if (inner)
    return `Map · ${Object.keys(inner.States).length} inner states · ${expanded ? 'collapse' : 'expand'}`;
  return s.Type;
}

/** Builds the ELK graph of a scope: its states, a start and an end node, and the edges to draw. */
function elkScope(
  scope: AslScope,
  key: string,
  view: { expanded: Set<string>; showCatch: boolean; taken: Set<string> },
): {
  children: ElkNode[];
  edges: ElkExtendedEdge[];
  meta: Map<string, { from: string; to: string; catch: boolean }>;
} {
  const start = `__start__${key}`;
  const end = `__end__${key}`;
  const children: ElkNode[] = [
    { id: start, width: key ? 14 : 22, height: key ? 14 : 22 },
    { id: end, width: key ? 14 : 22, height: key ? 14 : 22 },
  ];
  const edges: ElkExtendedEdge[] = [];
  const meta = new Map<string, { from: string; to: string; catch: boolean }>();
  const add = (from: string, to: string, isCatch: boolean) => {
    const id = `e${meta.size}:${key}`;
    meta.set(id, { from, to, catch: isCatch });
    edges.push({ id, sources: [from], targets: [to] });
  };
  add(start, scope.StartAt, false);
  for (const [name, s] of Object.entries(scope.States)) {
    const inner = innerScope(s);
    if (inner && view.expanded.has(name)) {
      const sub = elkScope(inner, name, view);
      sub.meta.forEach((v, k) => meta.set(k, v));
      children.push({
        id: name,
        layoutOptions: {
          'elk.padding': '[top=40,left=16,bottom=16,right=16]',
          'elk.nodeSize.minimum': `(${nodeWidth(name, subtitle(s, true))},60)`,
          'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        },
        children: sub.children,
        edges: sub.edges,
      });
    } else {
      children.push({ id: name, width: nodeWidth(name, subtitle(s, false)), height: NODE_H });
    }
    for (const n of normalSuccessors(s)) if (scope.States[n]) add(name, n, false);
    for (const n of catchTargets(s)) {
      if (!scope.States[n] || normalSuccessors(s).includes(n)) continue;
      if (view.showCatch || view.taken.has(`${name}→${n}`)) add(name, n, true);
    }
    if (s.End === true || s.Type === 'Succeed' || s.Type === 'Fail') add(name, end, false);
  }
  return { children, edges, meta };
}

/** Lays the graph out with ELK (cached: the layout depends on the shape, not on the statuses). */
async function layout(definition: AslScope, view: GraphView): Promise<Laid> {
  const expanded = new Set(
    [...(view.expanded ?? [])].filter((n) => innerScope(definition.States[n] ?? { Type: '' })),
  );
  const showCatch = Boolean(view.showCatch);
  const takenCatch = [...view.taken].filter((t) => {
    const [from, to] = t.split('→');
    const s = scopes(definition);
    for (const { scope } of s.values())
      if (scope.States[from] && catchTargets(scope.States[from]).includes(to)) return true;
    return false;
  });
  const key = JSON.stringify([
    definition,
    [...expanded].sort(),
    showCatch,
    showCatch ? [] : takenCatch.sort(),
  ]);
  let cached = layoutCache.get(key);
  if (!cached) {
    cached = computeLayout(definition, { expanded, showCatch, taken: new Set(takenCatch) });
    layoutCache.set(key, cached);
    if (layoutCache.size > 200) layoutCache.delete(layoutCache.keys().next().value as string);
    cached.catch(() => layoutCache.delete(key));
  }
  return cached;
}

async function computeLayout(
  definition: AslScope,
  view: { expanded: Set<string>; showCatch: boolean; taken: Set<string> },
): Promise<Laid> {
  const top = elkScope(definition, '', view);
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '34',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeNode': '14',
      'elk.spacing.edgeEdge': '8',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.crossingMinimization.semiInteractive': 'false',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: top.children,
    edges: top.edges,
  };
  const out = await elk.layout(graph);
  const nodes: Laid['nodes'] = [];
  const edges: Laid['edges'] = [];
  const walk = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      const kind = c.id.startsWith('__start__')
        ? 'start'
        : c.id.startsWith('__end__')
          ? 'end'
          : c.children?.length
            ? 'map'
            : 'state';
      nodes.push({ id: c.id, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0, kind });
      walk(c);
    }
    for (const e of n.edges ?? []) {
      const m = top.meta.get(e.id);
      const section = e.sections?.[0];
      if (!m || !section) continue;
      edges.push({
        id: e.id,
        from: m.from,
        to: m.to,
        catch: m.catch,
        points: [section.startPoint, ...(section.bendPoints ?? []), section.endPoint],
      });
    }
  };
  walk(out);
  return { nodes, edges, width: out.width ?? 0, height: out.height ?? 0 };
}

/** Name of a state or start/end node as people read it. */
function nodeLabel(id: string): string {
  return id.startsWith('__start__') ? 'Start' : id.startsWith('__end__') ? 'End' : id;
}

/**
 * Renders the graph as SVG: each state a node with `data-state` and `data-status`, start and end nodes,
 * edges taken drawn bold (`edge taken`), catch edges thin and dashed (only those taken unless `showCatch`).
 */
export async function renderGraph(definition: AslScope, view: GraphView): Promise<string> {
  const laid = await layout(definition, view);
  const scopeKey = scopeOf(definition);
  const stateOf = (name: string): AnyState | undefined => {
    const key = scopeKey.get(name);
    if (key === undefined) return undefined;
    return key ? innerScope(stateOf(key)!)!.States[name] : definition.States[name];
  };
  const edgeSvg = laid.edges.map((e) => {
    const taken = view.taken.has(`${e.from}→${e.to}`);
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
    return `<path class="edge${e.catch ? ' catch' : ''}${taken ? ' taken' : ''}" data-from="${esc(nodeLabel(e.from))}" data-to="${esc(nodeLabel(e.to))}" d="${d}" marker-end="url(#${taken ? 'arrow-taken' : 'arrow'})"/>`;
  });
  // Containers first (behind their children), then the rest.
  const ordered = [
    ...laid.nodes.filter((n) => n.kind === 'map'),
    ...laid.nodes.filter((n) => n.kind !== 'map'),
  ];
  const nodeSvg = ordered.map((n) => {
    if (n.kind === 'start' || n.kind === 'end') {
      const reached = [...view.taken].some((t) =>
        n.kind === 'start' ? t.startsWith(`${n.id}→`) : t.endsWith(`→${n.id}`),
      );
      const r = n.width / 2;
      return `<g class="terminal ${n.kind}${reached ? ' reached' : ''}" data-terminal="${n.kind}"><title>${n.kind === 'start' ? 'Start' : 'End'}</title><circle cx="${n.x + r}" cy="${n.y + r}" r="${r}"/>${n.kind === 'end' ? `<circle class="inner" cx="${n.x + r}" cy="${n.y + r}" r="${r - 5}"/>` : ''}</g>`;
    }
    const s = stateOf(n.id) ?? { Type: '' };
    const status = view.statuses[n.id] ?? 'idle';
    const isMap = Boolean(innerScope(s));
    const open = n.kind === 'map';
    const sel = view.selected === n.id ? ' selected' : '';
    const sub = subtitle(s, open);
    const cx = n.x + n.width / 2;
    const textY = open ? n.y + 17 : n.y + 18;
    return `<g class="node ${status}${sel}${open ? ' open' : ''}" data-state="${esc(n.id)}" data-status="${status}"${isMap ? ' data-map="true"' : ''} tabindex="0" role="button" aria-label="${esc(`${n.id}: ${STATUS_LABEL[status]}`)}"><title>${esc(n.id)} (${esc(s.Type)}) · ${STATUS_LABEL[status]}</title><rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="8"/><text x="${cx}" y="${textY}" class="name">${esc(n.id)}</text><text x="${cx}" y="${textY + 15}" class="type">${esc(sub)}</text></g>`;
  });
  const w = Math.ceil(laid.width);
  const h = Math.ceil(laid.height);
  return `<svg class="graph" role="img" aria-label="Release state machine" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" style="max-width:${w}px;min-width:${Math.min(w, 560)}px" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#9aa3b2"/></marker><marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#2f6fde"/></marker></defs>${edgeSvg.join('')}${nodeSvg.join('')}</svg>`;
}
