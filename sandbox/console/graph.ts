/**
 * The release state machine's graph as SVG (statuses from `trace.ts`, structure from `asl.ts`),
 * laid out by ELK (elkjs, the Eclipse Layout Kernel's layered algorithm) with orthogonal edges that go
 * around nodes, start and end nodes, the path taken highlighted, quiet catch edges and expandable Maps.
 */
import { createHash } from 'node:crypto';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { catchTargets, innerScope, normalSuccessors, scopeOf, type AnyState, type AslScope } from './asl';
import { esc } from './format';
import { STATUS_LABEL, type StateStatus } from './trace';

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

/**
 * Lays the graph out with ELK, once per state machine (and set of open Maps): every Catch edge takes part in
 * the layout whether drawn or not, so each execution of the same machine, and the "all catch edges" toggle,
 * show the states in the same places.
 */
async function layout(definition: AslScope, view: GraphView): Promise<Laid & { key: string }> {
  const expanded = new Set(
    [...(view.expanded ?? [])].filter((n) => innerScope(definition.States[n] ?? { Type: '' })),
  );
  const key = JSON.stringify([definition, [...expanded].sort()]);
  let cached = layoutCache.get(key);
  if (!cached) {
    cached = computeLayout(definition, { expanded, showCatch: true, taken: new Set() });
    layoutCache.set(key, cached);
    if (layoutCache.size > 200) layoutCache.delete(layoutCache.keys().next().value as string);
    cached.catch(() => layoutCache.delete(key));
  }
  return { ...(await cached), key: createHash('sha1').update(key).digest('hex').slice(0, 12) };
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
  const edgeSvg = laid.edges.flatMap((e) => {
    const taken = view.taken.has(`${e.from}→${e.to}`);
    // Laid out always; drawn when asked for or taken.
    if (e.catch && !view.showCatch && !taken) return [];
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
      return `<g class="terminal ${n.kind}${reached ? ' reached' : ''}" data-terminal="${n.kind}"${n.id === '__start__' ? ' data-first="true"' : ''}><title>${n.kind === 'start' ? 'Start' : 'End'}</title><circle cx="${n.x + r}" cy="${n.y + r}" r="${r}"/>${n.kind === 'end' ? `<circle class="inner" cx="${n.x + r}" cy="${n.y + r}" r="${r - 5}"/>` : ''}</g>`;
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
  // Drawn at its natural size (labels 12.5 px and 10.5 px) in a viewport as wide as the page; the console's
  // script adds pan and zoom (svg-pan-zoom) and opens it at its top, centred on the start node.
  const body = `${edgeSvg.join('')}${nodeSvg.join('')}`;
  // The id changes with what is drawn, so the console's DOM morphing replaces a changed graph whole (and
  // re-attaches pan and zoom) and leaves an unchanged one alone; `data-layout` names the layout.
  const sig = createHash('sha1').update(body).digest('hex').slice(0, 12);
  return `<svg class="graph" id="graph-${sig}" data-sig="${sig}" data-layout="${laid.key}" role="img" aria-label="Release state machine" viewBox="0 0 ${w} ${h}" data-width="${w}" data-height="${h}" style="height:min(70vh,${h + 8}px)" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#9aa3b2"/></marker><marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#2f6fde"/></marker></defs>${body}</svg>`;
}
